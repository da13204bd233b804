package dev.rill.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tests' kustomize build gives what the real kustomize gives (where {@code kubectl} is installed:
 * on GitHub's runners and this project's machines; skipped elsewhere), and refuses what it does not implement.
 */
class KustomizeBuildTest {

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/dev", "overlays/prod", "overlays/gpu", "dev + components"})
    void sameAsKubectlKustomize(String which) throws Exception {
        Path kubectl = kubectl();
        Assumptions.assumeTrue(kubectl != null, "kubectl is not installed: the comparison with the real kustomize is skipped");
        Path dir = which.equals("dev + components") ? Components.devWithBothDir() : Repo.k8s().resolve(which);
        Map<String, JsonNode> ours = byId(Kustomize.build(dir));
        Map<String, JsonNode> theirs = byId(kubectlKustomize(kubectl, dir));
        assertEquals(theirs.keySet(), ours.keySet(), "resources of " + which);
        for (String id : theirs.keySet()) assertEquals(theirs.get(id), ours.get(id), id + " in " + which);
    }

    static Path kubectl() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "kubectl");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    private static List<ObjectNode> kubectlKustomize(Path kubectl, Path dir) throws IOException, InterruptedException {
        Path out = Files.createTempFile(Repo.scratch("kubectl"), "build", ".yaml");
        Path err = out.resolveSibling("stderr.txt");
        Process p = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize did not finish");
        assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + ": " + Files.readString(err, StandardCharsets.UTF_8));
        return Kustomize.readDocuments(out);
    }

    private static Map<String, JsonNode> byId(List<ObjectNode> docs) {
        Map<String, JsonNode> m = new TreeMap<>();
        for (ObjectNode d : docs) m.put(Kustomize.id(d), d);
        return m;
    }

    // ---- what the build refuses ----

    @Test
    void refusesFieldsItDoesNotImplement() throws IOException {
        Path dir = kustomization("unknown-field", """
                resources: [cm.yaml]
                namePrefix: x-
                """);
        var e = assertThrows(IllegalArgumentException.class, () -> Kustomize.build(dir));
        assertTrue(e.getMessage().contains("'namePrefix'"), e.getMessage());
    }

    @Test
    void aFailedTestOperationFailsTheBuild() throws IOException {
        Path dir = kustomization("failed-test-op", """
                resources: [cm.yaml]
                patches:
                  - target: {kind: ConfigMap, name: cm}
                    patch: |-
                      - op: test
                        path: /data/A
                        value: "2"
                      - op: replace
                        path: /data/A
                        value: "3"
                """);
        var e = assertThrows(IllegalArgumentException.class, () -> Kustomize.build(dir));
        assertTrue(e.getMessage().contains("ConfigMap/cm"), e.getMessage());
    }

    @Test
    void appliesJsonPatchesAndImages() throws IOException {
        Path dir = kustomization("applies", """
                resources: [cm.yaml, pod.yaml]
                images:
                  - name: registry:5000/app
                    newTag: "2"
                patches:
                  - target: {kind: ConfigMap, name: cm}
                    patch: |-
                      - op: replace
                        path: /data/A
                        value: "3"
                """);
        Files.writeString(dir.resolve("pod.yaml"), """
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                spec:
                  containers:
                    - {name: a, image: "registry:5000/app:1"}
                    - {name: b, image: "registry:5000/other:1"}
                """);
        var built = Kustomize.build(dir);
        assertEquals("3", built.get(0).at("/data/A").asText());
        assertEquals("registry:5000/app:2", built.get(1).at("/spec/containers/0/image").asText());
        assertEquals("registry:5000/other:1", built.get(1).at("/spec/containers/1/image").asText());
    }

    @Test
    void refusesAPatchThatMatchesNothingAndStrategicMergePatches() throws IOException {
        Path none = kustomization("no-match", """
                resources: [cm.yaml]
                patches:
                  - target: {kind: ConfigMap, name: other}
                    patch: '[{"op": "remove", "path": "/data/A"}]'
                """);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Kustomize.build(none)).getMessage().contains("matches no resource"));
        Path smp = kustomization("smp", """
                resources: [cm.yaml]
                patches:
                  - target: {kind: ConfigMap, name: cm}
                    patch: '{"data": {"A": "3"}}'
                """);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Kustomize.build(smp)).getMessage().contains("strategic-merge"));
    }

    @Test
    void parsingRefusesUnknownKindsAndFieldsTheModelDoesNotHave() throws IOException {
        var typo = (ObjectNode) Kustomize.YAML.readTree("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: d}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: c
                          image: i
                          readinesProbe: {httpGet: {path: /q/health/ready, port: 8080}}
                """);
        var e = assertThrows(IllegalArgumentException.class, () -> Manifests.parse(typo));
        assertTrue(e.getMessage().contains("containers[0].readinesProbe"), e.getMessage());
        var unknownKind = (ObjectNode) Kustomize.YAML.readTree("{apiVersion: v1, kind: Deploymnet, metadata: {name: d}}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Manifests.parse(unknownKind)).getMessage().contains("Deploymnet"));
    }

    private static Path kustomization(String name, String body) throws IOException {
        Path dir = Repo.scratch("kustomize-" + name);
        Files.writeString(dir.resolve("kustomization.yaml"), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + body);
        Files.writeString(dir.resolve("cm.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: cm}
                data: {A: "1"}
                """);
        return dir;
    }
}
