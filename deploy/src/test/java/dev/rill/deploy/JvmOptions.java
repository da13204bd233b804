package dev.rill.deploy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** JVM options as the java launcher reads them from JDK_JAVA_OPTIONS (white-space separated). */
record JvmOptions(List<String> tokens) {

    /** The environment variables the java launcher or the JVM reads options from, in the order checked. */
    static final List<String> VARIABLES = List.of("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS");

    static JvmOptions parse(String options) {
        return new JvmOptions(options == null || options.isBlank() ? List.of() : Arrays.asList(options.trim().split("\\s+")));
    }

    /** Modules named by {@code --add-modules=A,B} or {@code --add-modules A,B}. */
    List<String> addedModules() {
        List<String> modules = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t.startsWith("--add-modules=")) modules.addAll(Arrays.asList(t.substring("--add-modules=".length()).split(",")));
            else if (t.equals("--add-modules") && i + 1 < tokens.size()) modules.addAll(Arrays.asList(tokens.get(++i).split(",")));
        }
        return modules;
    }

    /** The value of {@code -Dname=value}, the last one winning as in the JVM. */
    Optional<String> systemProperty(String name) {
        String prefix = "-D" + name + "=";
        String value = null;
        for (String t : tokens) if (t.startsWith(prefix)) value = t.substring(prefix.length());
        return Optional.ofNullable(value);
    }

    static final String VECTOR_MODULE = "jdk.incubator.vector";
}
