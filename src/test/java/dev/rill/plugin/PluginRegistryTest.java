package dev.rill.plugin;

import dev.rill.spi.Candidates;
import dev.rill.spi.Sampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plugin jars built at test time (compiled from source, packed with a services file) and loaded from a folder. */
class PluginRegistryTest {

    @TempDir
    Path tmp;

    @Test
    void aJarInThePluginFolderTakesPartLikeABuiltInPlugin() throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        buildSamplerJar(plugins.resolve("last-token.jar"), "p1", "LastToken", "last-token");
        PluginRegistry registry = PluginRegistry.load(plugins);
        Sampler s = registry.get(Sampler.class, "last-token");
        assertEquals("p1.LastToken", s.getClass().getName());
        assertTrue(registry.source(s).endsWith("last-token.jar"));
        assertTrue(registry.names(Sampler.class).contains("last-token"));
        Candidates c = new Candidates(5).reset(new float[]{1, 2, 3, 4, 5}, 5);
        s.apply(c, null);
        assertEquals(4, c.selected(), "the plugin's own code ran");
    }

    @Test
    void twoProvidersWithOneNameFailAtStartNamingBothJars() throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("dup"));
        buildSamplerJar(plugins.resolve("a.jar"), "pa", "First", "twin");
        buildSamplerJar(plugins.resolve("b.jar"), "pb", "Second", "twin");
        var e = assertThrows(PluginException.class, () -> PluginRegistry.load(plugins));
        assertTrue(e.getMessage().contains("'twin'") && e.getMessage().contains("a.jar") && e.getMessage().contains("b.jar"), e.getMessage());
    }

    @Test
    void anUnknownNameListsTheAvailableOnesAndThePluginFolder() throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("one"));
        buildSamplerJar(plugins.resolve("x.jar"), "px", "X", "only-one");
        var e = assertThrows(PluginException.class, () -> PluginRegistry.load(plugins).get(Sampler.class, "nope"));
        assertTrue(e.getMessage().contains("unknown sampler 'nope'") && e.getMessage().contains("only-one")
                && e.getMessage().contains(plugins.toAbsolutePath().toString()), e.getMessage());
    }

    @Test
    void aMissingPluginFolderIsAnError() {
        var e = assertThrows(PluginException.class, () -> PluginRegistry.load(tmp.resolve("absent")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    /** Compiles a Sampler that selects the last candidate, and packs it with its services entry. */
    void buildSamplerJar(Path jar, String pkg, String cls, String name) throws IOException {
        String source = """
                package %s;
                public final class %s implements dev.rill.spi.Sampler {
                    public String name() { return "%s"; }
                    public String description() { return "test plugin"; }
                    public boolean selects() { return true; }
                    public void apply(dev.rill.spi.Candidates c, dev.rill.spi.SamplingContext ctx) { c.select(c.ids[c.size - 1]); }
                }
                """.formatted(pkg, cls, name);
        Path src = Files.createDirectories(tmp.resolve("src-" + pkg).resolve(pkg));
        Path file = src.resolve(cls + ".java");
        Files.writeString(file, source);
        Path classes = Files.createDirectories(tmp.resolve("classes-" + pkg));
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-cp", System.getProperty("java.class.path"), "-d", classes.toString(), file.toString());
        assertEquals(0, rc, "compiling the test plugin");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(pkg + "/" + cls + ".class"));
            Files.copy(classes.resolve(pkg).resolve(cls + ".class"), out);
            out.putNextEntry(new JarEntry("META-INF/services/" + Sampler.class.getName()));
            out.write((pkg + "." + cls + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }
}
