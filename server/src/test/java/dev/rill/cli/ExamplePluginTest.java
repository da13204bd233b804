package dev.rill.cli;

import dev.rill.spi.Plugin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Writing a plugin as docs/plugins.md tells it: the example project's jar (built by the reactor from
 * its own pom, on rill-spi's coordinates) loads from a plugin folder and samples; the page's other
 * examples compile against the SPI alone, load, train a model and generate from it.
 */
class ExamplePluginTest {

    static final Path EXAMPLE = ReadmeTest.ROOT.resolve("examples/plugin-sampler");
    static final Path DOC = ReadmeTest.ROOT.resolve("docs/plugins.md");
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);

    @TempDir
    Path tmp;

    static Path exampleJar() throws IOException {
        Path target = EXAMPLE.resolve("target");
        if (Files.isDirectory(target)) {
            try (Stream<Path> files = Files.list(target)) {
                var jar = files.filter(p -> p.getFileName().toString().matches("rill-example-sampler-[^-]+(-SNAPSHOT)?\\.jar")).findFirst();
                if (jar.isPresent()) return jar.get();
            }
        }
        return fail("examples/plugin-sampler is not built: ./mvnw -pl examples/plugin-sampler -am package (Rill's build makes it before these tests)");
    }

    @Test
    void theExampleJarLoadsFromAPluginFolderAndSamples() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("plugins"));
        Path jar = Files.copy(exampleJar(), dir.resolve("top-a.jar"));
        CliRun listed = CliRun.of("plugins", "--plugins", dir.toString());
        assertEquals(0, listed.code(), listed.err());
        assertTrue(listed.out().contains("top-a          keep tokens with probability at least top_a times the square of the largest"), listed.out());
        assertTrue(listed.out().contains("from " + jar.toAbsolutePath()), listed.out());
        assertTrue(listed.out().contains("top_a = 0.2  [0, 1]"), listed.out());

        CliRun generated = CliRun.of("generate", "--plugins", dir.toString(), "--sampler", "top-k,top-a,dist", "--sampling-param", "top_a=0.3",
                "--prompt", "ROMEO:", "--max-tokens", "8", "--seed", "7");
        assertEquals(0, generated.code(), generated.err());
        // (generate writes the text to the file descriptor itself; its closing line is on stderr)
        assertTrue(generated.err().matches("(?s).*--- 8 tokens \\(length\\).*"), generated.err());

        CliRun refused = CliRun.of("generate", "--plugins", dir.toString(), "--sampler", "top-a,dist", "--sampling-param", "top_a=2");
        assertEquals(1, refused.code());
        assertEquals(1, refused.err().strip().lines().count(), refused.err());
        assertTrue(refused.err().contains("top_a"), refused.err());
        CliRun without = CliRun.of("generate", "--sampler", "top-a,dist", "--max-tokens", "1");
        assertTrue(without.code() == 1 && without.err().contains("unknown sampler 'top-a'"), without.err());
    }

    @Test
    void theExampleIsAStandaloneProjectOnTheSpiCoordinates() throws IOException {
        String pom = Files.readString(EXAMPLE.resolve("pom.xml"));
        assertFalse(pom.contains("<parent>"), "the example has no parent: it stands on its own");
        String version = versionOf(Files.readString(ReadmeTest.ROOT.resolve("pom.xml")));
        assertTrue(pom.contains("<rill.version>" + version + "</rill.version>"), "the example builds against this version of Rill");
        assertTrue(pom.matches("(?s).*<groupId>dev\\.rill</groupId>\\s*<artifactId>rill-spi</artifactId>\\s*<version>\\$\\{rill\\.version}</version>\\s*"
                + "<scope>provided</scope>.*"), "it depends on rill-spi by coordinates, provided");
        String spiPom = Files.readString(ReadmeTest.ROOT.resolve("plugins/spi/pom.xml"));
        assertTrue(spiPom.contains("<artifactId>rill-spi</artifactId>"), "the SPI module is the artifact the example names");
        String doc = Files.readString(DOC);
        assertTrue(doc.contains("`dev.rill:rill-spi:" + version + "`") && doc.contains("./mvnw -pl plugins/spi -am install -DskipTests"), "the page names the coordinates and how to install them");
        assertTrue(Files.readString(ReadmeTest.README).contains("(docs/plugins.md)"), "the README links the page");
    }

    @Test
    void theDocsExamplesCompileAgainstTheSpiAndTrainAndGenerate() throws Exception {
        // The page's sampler is the example project's, to the letter; the other three are compiled here.
        Map<String, String> sources = new LinkedHashMap<>();
        Matcher block = JAVA_BLOCK.matcher(Files.readString(DOC));
        while (block.find()) {
            String code = block.group(1);
            Matcher pkg = Pattern.compile("package ([\\w.]+);").matcher(code);
            Matcher cls = Pattern.compile("public final class (\\w+) implements (\\w+)").matcher(code);
            assertTrue(pkg.find() && cls.find(), "a complete class: " + code.lines().findFirst().orElse(""));
            sources.put(pkg.group(1) + "." + cls.group(1) + " " + cls.group(2), code);
        }
        assertEquals(4, sources.size(), "one example per family: " + sources.keySet());
        String sampler = sources.remove("example.sampler.TopA Sampler");
        assertEquals(Files.readString(EXAMPLE.resolve("src/main/java/example/sampler/TopA.java")), sampler, "the page shows the example's sampler");

        Path src = tmp.resolve("src"), classes = tmp.resolve("classes");
        List<String> files = new ArrayList<>();
        for (var e : sources.entrySet()) {
            String name = e.getKey().split(" ")[0];
            Path file = src.resolve(name.replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            files.add(file.toString());
            Path services = classes.resolve("META-INF/services/dev.rill.spi." + e.getKey().split(" ")[1]);
            Files.createDirectories(services.getParent());
            Files.writeString(services, name + "\n");
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("--release", "25", "-cp", spiClassPath(), "-d", classes.toString()));
        args.addAll(files);
        assertEquals(0, javac.run(null, diagnostics, diagnostics, args.toArray(String[]::new)), diagnostics.toString(StandardCharsets.UTF_8));
        Path dir = Files.createDirectory(tmp.resolve("plugins"));
        jar(classes, dir.resolve("examples.jar"));

        CliRun listed = CliRun.of("plugins", "--plugins", dir.toString());
        assertEquals(0, listed.code(), listed.err());
        for (String name : List.of("byte ", "linear-bias ", "timed-cpu ")) assertTrue(listed.out().contains("  " + name), name + " in\n" + listed.out());

        Path text = Files.writeString(tmp.resolve("text.txt"), "the cat sat on the mat; the dog ran. ".repeat(200));
        Path run = tmp.resolve("run");
        CliRun trained = CliRun.of("train", "--plugins", dir.toString(), "--data", text.toString(), "--out", run.toString(),
                "--tokenizer", "byte", "--positional", "linear-bias", "--positional-param", "slope=0.1", "--n-layer", "1", "--n-head", "2",
                "--n-emb", "16", "-T", "16", "--batch", "2", "--steps", "3", "--warmup", "0", "--eval-interval", "3", "--eval-batches", "1",
                "--checkpoint-interval", "3", "--sample-tokens", "8");
        assertEquals(0, trained.code(), trained.err());
        assertTrue(Files.readString(run.resolve("byte-vocab.txt")).startsWith("rill byte vocabulary"), "the tokenizer saved its file");
        CliRun generated = CliRun.of("generate", "--plugins", dir.toString(), "--model", run.toString(), "--backend", "timed-cpu",
                "--prompt", "the ", "--max-tokens", "6", "--seed", "1");
        assertEquals(0, generated.code(), generated.err());
        assertTrue(generated.err().matches("(?s).*timed-cpu: \\d+ forward passes, [0-9.]+ ms each on average.*"), generated.err());
    }

    /** Where the SPI's classes are (a folder in the reactor, a jar elsewhere). */
    private static String spiClassPath() throws URISyntaxException {
        return Path.of(Plugin.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    private static void jar(Path classes, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out); Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                j.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                j.write(Files.readAllBytes(f));
                j.closeEntry();
            }
        }
    }

    private static String versionOf(String pom) {
        Matcher m = Pattern.compile("<artifactId>rill-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(m.find(), "the root pom's version");
        return m.group(1);
    }
}
