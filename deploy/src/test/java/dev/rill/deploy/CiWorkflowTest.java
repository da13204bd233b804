package dev.rill.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's test command, .ci/run and the GitHub workflow agree, and the workflow provides what the tests need. */
class CiWorkflowTest {

    static final Path README = Repo.root().resolve("README.md");
    static final Path CI_RUN = Repo.root().resolve(".ci/run");
    static final Path WORKFLOW = Repo.root().resolve(".github/workflows/ci.yml");

    /** The command in the code block after "Run every test" in the README. */
    static String readmeTestCommand() throws IOException {
        return readmeCommandAfter("Run every test");
    }

    /** The README's first command: the code block after "Serve the bundled default model". */
    static String readmeServeCommand() throws IOException {
        return readmeCommandAfter("Serve the bundled default model");
    }

    /** The one-line command in the first code block after the line containing {@code paragraph}. */
    static String readmeCommandAfter(String paragraph) throws IOException {
        List<String> lines = Files.readAllLines(README);
        int i = 0;
        while (i < lines.size() && !lines.get(i).contains(paragraph)) i++;
        assertTrue(i < lines.size(), "the README has no '" + paragraph + "' paragraph");
        while (i < lines.size() && !lines.get(i).startsWith("```")) i++;
        List<String> block = new ArrayList<>();
        for (i++; i < lines.size() && !lines.get(i).startsWith("```"); i++) if (!lines.get(i).isBlank()) block.add(lines.get(i).strip());
        assertEquals(1, block.size(), "the README's command after '" + paragraph + "' is one line: " + block);
        return block.getFirst();
    }

    /** The last command .ci/run runs. */
    static String ciRunCommand() throws IOException {
        List<String> commands = Files.readAllLines(CI_RUN).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        return commands.getLast();
    }

    static List<JsonNode> steps() throws IOException {
        JsonNode jobs = Kustomize.YAML.readTree(WORKFLOW.toFile()).path("jobs");
        assertEquals(1, jobs.size(), "one job");
        JsonNode job = jobs.elements().next();
        assertEquals("ubuntu-latest", job.path("runs-on").asText());
        List<JsonNode> steps = new ArrayList<>();
        job.path("steps").forEach(steps::add);
        return steps;
    }

    static int indexOf(List<JsonNode> steps, String uses) {
        for (int i = 0; i < steps.size(); i++) if (steps.get(i).path("uses").asText().startsWith(uses + "@")) return i;
        throw new AssertionError("the workflow has no step using " + uses);
    }

    static int ciRunStep(List<JsonNode> steps) {
        for (int i = 0; i < steps.size(); i++) {
            if (List.of(".ci/run", "bash .ci/run").contains(steps.get(i).path("run").asText().strip())) return i;
        }
        throw new AssertionError("no step of the workflow runs .ci/run");
    }

    @Test
    void ciRunEndsWithTheReadmeTestCommandAndTheWorkflowRunsCiRun() throws IOException {
        String command = readmeTestCommand();
        assertEquals("./mvnw verify", command);
        assertEquals(command, ciRunCommand(), ".ci/run ends with the README's test command");
        assertTrue(Files.isExecutable(CI_RUN), ".ci/run is executable (the workflow runs it directly)");
        List<JsonNode> steps = steps();
        ciRunStep(steps);
        for (JsonNode s : steps) {
            String run = s.path("run").asText();
            assertFalse(run.contains("mvn"), "the workflow builds only through .ci/run, never with its own Maven command: " + run);
        }
    }

    /**
     * Before the tests, .ci/run runs the README's first command as on a bare machine: JAVA_HOME unset,
     * Node left out of a clean PATH with a java 17 first, and waits for readiness.
     */
    @Test
    void ciRunServesWithTheReadmeFirstCommandOnABarePathBeforeTheTests() throws IOException {
        String serve = readmeServeCommand();
        assertEquals("./rill serve", serve);
        List<String> lines = Files.readAllLines(CI_RUN).stream().map(String::strip).filter(l -> !l.startsWith("#")).toList();
        int run = -1;
        for (int i = 0; i < lines.size() && run < 0; i++) {
            if (!lines.get(i).startsWith("echo ") && lines.get(i).matches(".*\\s" + Pattern.quote(serve) + "(\\s.*)?")) run = i;
        }
        assertTrue(run >= 0, ".ci/run runs the README's first command, " + serve);
        String line = lines.get(run);
        assertTrue(line.startsWith("env -u JAVA_HOME "), "with JAVA_HOME unset: " + line);
        assertTrue(line.contains("PATH=\"$bare\""), "on the clean PATH: " + line);
        String script = String.join("\n", lines);
        assertTrue(script.contains("node | nodejs | npm | npx"), "the clean PATH leaves out Node and npm");
        assertTrue(script.matches("(?s).*/usr/lib/jvm/\\*17\\*.*bare=\"\\$\\{java17:\\+\\$java17:}.*"), "a java 17 comes first on the clean PATH");
        assertTrue(script.contains("/q/health/ready"), ".ci/run waits for readiness");
        assertTrue(run < lines.indexOf(ciRunCommand()), "before the test command");
    }

    @Test
    void workflowSetsUpTheJdkTheBuildCompilesFor() throws IOException {
        List<JsonNode> steps = steps();
        JsonNode java = steps.get(indexOf(steps, "actions/setup-java")).path("with");
        assertEquals("temurin", java.path("distribution").asText());
        Matcher release = Pattern.compile("<maven.compiler.release>(\\d+)</maven.compiler.release>").matcher(Files.readString(Repo.root().resolve("pom.xml")));
        assertTrue(release.find());
        assertEquals(release.group(1), java.path("java-version").asText());
        assertEquals("maven", java.path("cache").asText(), "the Maven repository is cached");
        // .ci/run takes the JDK from JAVA_HOME_25; the workflow hands it setup-java's JAVA_HOME.
        JsonNode ciEnv = steps.get(ciRunStep(steps)).path("env");
        assertEquals("${{ env.JAVA_HOME }}", ciEnv.path("JAVA_HOME_25").asText());
        assertTrue(Files.readString(CI_RUN).contains("JAVA_HOME_25"), ".ci/run reads JAVA_HOME_25");
        assertTrue(indexOf(steps, "actions/setup-java") < ciRunStep(steps));
    }

    @Test
    void workflowProvidesNodeAndChromiumBeforeTheTestsAndUploadsTheReports() throws IOException {
        List<JsonNode> steps = steps();
        int tests = ciRunStep(steps);
        int node = indexOf(steps, "actions/setup-node");
        assertEquals("20", steps.get(node).path("with").path("node-version").asText());
        assertTrue(node < tests);

        // The browser tests use Debian's paths (shared/STACK.md); the workflow puts Chromium and ChromeDriver there.
        int chrome = indexOf(steps, "browser-actions/setup-chrome");
        assertEquals("true", steps.get(chrome).path("with").path("install-chromedriver").asText());
        String id = steps.get(chrome).path("id").asText();
        assertFalse(id.isEmpty(), "the Chromium step has an id, so its outputs can be used");
        JsonNode link = steps.stream().filter(s -> s.path("run").asText().contains("/usr/bin/chromium")).findFirst().orElse(null);
        assertNotNull(link, "no step puts Chromium at /usr/bin/chromium");
        String run = link.path("run").asText();
        assertTrue(run.contains("steps." + id + ".outputs.chrome-path") && run.contains("steps." + id + ".outputs.chromedriver-path")
                && run.contains("/usr/bin/chromedriver"), run);
        assertTrue(chrome < steps.indexOf(link) && steps.indexOf(link) < tests);

        int upload = indexOf(steps, "actions/upload-artifact");
        assertTrue(upload > tests, "reports are uploaded after the tests");
        assertEquals("always()", steps.get(upload).path("if").asText(), "reports are uploaded when tests fail too");
        assertTrue(steps.get(upload).path("with").path("path").asText().contains("**/target/surefire-reports/"));
    }
}
