package dev.rill.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Dockerfile read the way the builder reads it: comment lines dropped, continuation lines joined,
 * one instruction per line, exec-form arguments as JSON arrays. Enough to check what a build would
 * copy and run without a Docker daemon (there is none here, see shared/STACK.md).
 */
record Dockerfile(Path file, List<Instruction> instructions) {

    record Instruction(String keyword, String args) {
        /** Exec form ({@code ["a", "b"]}) as a list; shell form as {@code /bin/sh -c args}. */
        List<String> command() {
            if (args.startsWith("[")) {
                try {
                    return new ObjectMapper().readValue(args, new TypeReference<List<String>>() { });
                } catch (IOException e) {
                    throw new IllegalArgumentException(keyword + " " + args + ": not a JSON array: " + e.getMessage());
                }
            }
            return List.of("/bin/sh", "-c", args);
        }
    }

    /** One COPY: flags (--chown, --from), sources relative to the build context, destination in the image. */
    record Copy(Map<String, String> flags, List<String> sources, String destination) {
    }

    static Dockerfile read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        List<Instruction> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) continue;
            boolean continues = line.endsWith("\\");
            current.append(continues ? line.substring(0, line.length() - 1) : line).append(' ');
            if (continues) continue;
            String text = current.toString().strip();
            current.setLength(0);
            if (text.isEmpty()) continue;
            int sp = text.indexOf(' ');
            out.add(new Instruction(text.substring(0, sp < 0 ? text.length() : sp).toUpperCase(java.util.Locale.ROOT),
                    sp < 0 ? "" : text.substring(sp + 1).strip()));
        }
        return new Dockerfile(file, out);
    }

    List<Instruction> all(String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    /** The last instruction of a kind (the one that counts for FROM of a single stage, USER, ENTRYPOINT, CMD). */
    Optional<Instruction> last(String keyword) {
        List<Instruction> a = all(keyword);
        return a.isEmpty() ? Optional.empty() : Optional.of(a.getLast());
    }

    /** Variables set by ENV, in order (later ones win). */
    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        for (Instruction i : all("ENV")) {
            List<String> words = words(i.args());
            if (!words.isEmpty() && !words.getFirst().contains("=")) {   // legacy form: ENV KEY value with spaces
                env.put(words.getFirst(), i.args().substring(i.args().indexOf(' ') + 1).strip());
                continue;
            }
            for (String w : words) {
                int eq = w.indexOf('=');
                if (eq < 0) throw new IllegalArgumentException(file + ": ENV " + i.args() + ": '" + w + "' is not KEY=value");
                env.put(w.substring(0, eq), w.substring(eq + 1));
            }
        }
        return env;
    }

    List<Copy> copies() {
        List<Copy> copies = new ArrayList<>();
        for (Instruction i : all("COPY")) {
            List<String> words = words(i.args());
            Map<String, String> flags = new LinkedHashMap<>();
            while (!words.isEmpty() && words.getFirst().startsWith("--")) {
                String f = words.removeFirst();
                int eq = f.indexOf('=');
                flags.put(eq < 0 ? f.substring(2) : f.substring(2, eq), eq < 0 ? "" : f.substring(eq + 1));
            }
            if (words.size() < 2) throw new IllegalArgumentException(file + ": COPY " + i.args() + " needs a source and a destination");
            copies.add(new Copy(flags, List.copyOf(words.subList(0, words.size() - 1)), words.getLast()));
        }
        return copies;
    }

    /** The files a source names in {@code context}: a path, or a glob in its last part. */
    static List<Path> matches(Path context, String source) {
        Path p = context.resolve(source.endsWith("/") ? source.substring(0, source.length() - 1) : source).normalize();
        String name = p.getFileName().toString();
        if (!name.contains("*") && !name.contains("?")) return Files.exists(p) ? List.of(p) : List.of();
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(p.getParent())) return found;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(p.getParent(), name)) {
            ds.forEach(found::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /**
     * Where a path of the image comes from in the build context, by the COPY instructions from the
     * context (a later COPY wins, as a later layer does); empty when no such COPY provides it.
     */
    Optional<Path> hostPath(Path context, String imagePath) {
        Path target = Path.of(imagePath).normalize();
        Optional<Path> found = Optional.empty();
        for (Copy c : copies()) {
            if (c.flags().containsKey("from")) continue;
            for (String source : c.sources()) {
                for (Path match : matches(context, source)) {
                    // A folder's contents, or a file, land in the destination folder (or at the destination file).
                    Path dest = Path.of(c.destination());
                    Path landed = Files.isDirectory(match) ? dest
                            : c.destination().endsWith("/") || c.sources().size() > 1 || source.contains("*") ? dest.resolve(match.getFileName().toString()) : dest;
                    if (target.equals(landed)) found = Optional.of(match);
                    else if (Files.isDirectory(match) && target.startsWith(landed)) {
                        Path inside = match.resolve(landed.relativize(target).toString());
                        if (Files.exists(inside)) found = Optional.of(inside);
                    } else if (found.isEmpty() && landed.startsWith(target)) {
                        // A folder that COPY fills (such as the WORKDIR): the matching folder of the context.
                        Path up = match;
                        for (int n = landed.getNameCount() - target.getNameCount(); n > 0 && up != null; n--) up = up.getParent();
                        if (up != null) found = Optional.of(up);
                    }
                }
            }
        }
        return found;
    }

    /** Splits shell-style words: white space separates, double or single quotes group, backslash escapes. */
    static List<String> words(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (quote != 0) {
                if (ch == quote) quote = 0;
                else if (ch == '\\' && quote == '"' && i + 1 < s.length()) w.append(s.charAt(++i));
                else w.append(ch);
            } else if (ch == '"' || ch == '\'') {
                quote = ch;
                inWord = true;
            } else if (ch == '\\' && i + 1 < s.length()) {
                w.append(s.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(ch)) {
                if (inWord) words.add(w.toString());
                w.setLength(0);
                inWord = false;
            } else {
                w.append(ch);
                inWord = true;
            }
        }
        if (quote != 0) throw new IllegalArgumentException("unclosed quote in: " + s);
        if (inWord) words.add(w.toString());
        return words;
    }
}
