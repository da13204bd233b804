package dev.rill.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Starts the packaged server the way a pod of an overlay would: the image's entry point and the
 * container's arguments (Dockerfile.jvm, paths mapped to the build output it copies), the image's
 * and the container's environment with the ConfigMap and a value for each Secret reference, and each
 * volume mount as a folder of its own. Then asks the probes' paths, the metrics the pod annotations
 * name and the API with and without the Secret's key, and stops it with SIGTERM as the kubelet does.
 * Only the HTTP port differs (a free one), so the test can run beside other servers.
 */
class PodSmokeTest {

    static final String KEY = "smoke-test-key";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * The prod overlay: the base's configuration plus prod's changes to it, and a required Secret. (The
     * other overlays' values are checked for type and key by {@link Checks#configuration}; gpu needs TornadoVM.)
     */
    @Test
    void prodPodStartsServesAndStops() throws Exception {
        String overlay = "prod";
        Manifests m = Manifests.overlay(overlay);
        Container c = m.container();
        Dockerfile image = Dockerfile.read(Repo.dockerfile("Dockerfile.jvm"));
        Path context = Repo.server();
        Repo.quarkusApp();
        Path volumes = Repo.scratch("pod-" + overlay);

        Map<String, Path> mounts = new LinkedHashMap<>();
        for (VolumeMount v : c.getVolumeMounts()) mounts.put(v.getMountPath(), Files.createDirectories(volumes.resolve(v.getMountPath().substring(1))));

        List<String> command = new ArrayList<>(c.getCommand().isEmpty() ? image.last("ENTRYPOINT").orElseThrow().command() : c.getCommand());
        command.addAll(c.getArgs().isEmpty() ? image.last("CMD").orElseThrow().command() : c.getArgs());
        for (int i = 0; i < command.size(); i++) {
            String a = command.get(i);
            if (a.equals("java")) command.set(i, Path.of(System.getProperty("java.home"), "bin", "java").toString());
            else if (a.startsWith("/")) {
                command.set(i, image.hostPath(context, a).orElseThrow(() -> new AssertionError("the image has no " + a)).toString());
            }
        }

        Map<String, String> env = new LinkedHashMap<>(image.env());
        for (EnvFromSource from : c.getEnvFrom()) {
            ConfigMap cm = m.get(ConfigMap.class, from.getConfigMapRef().getName());
            cm.getData().forEach((k, v) -> env.put((from.getPrefix() == null ? "" : from.getPrefix()) + k, v));
        }
        for (EnvVar e : c.getEnv()) {
            if (e.getValue() != null) env.put(e.getName(), e.getValue());
            else if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) env.put(e.getName(), KEY);
            else fail("env " + e.getName() + ": only literal values and Secret references are emulated here");
        }
        env.replaceAll((k, v) -> onVolumes(v, mounts));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));

        Path log = volumes.resolve("pod.log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        String workdir = image.last("WORKDIR").orElseThrow().args();
        pb.directory(image.hostPath(context, workdir).orElseThrow(() -> new AssertionError("WORKDIR " + workdir + " is not copied")).toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process pod = pb.start();
        try {
            String base = "http://127.0.0.1:" + port;
            Probe startup = c.getStartupProbe();
            int budget = startup.getPeriodSeconds() * startup.getFailureThreshold();
            awaitUp(pod, log, base + startup.getHttpGet().getPath(), Math.min(budget, 180));
            for (Probe p : List.of(c.getReadinessProbe(), c.getLivenessProbe())) {
                HttpResponse<String> r = get(base + p.getHttpGet().getPath(), null);
                assertEquals(200, r.statusCode(), p.getHttpGet().getPath() + ": " + r.body());
                assertEquals("UP", new ObjectMapper().readTree(r.body()).path("status").asText(), r.body());
            }
            var ann = m.deployment().getSpec().getTemplate().getMetadata().getAnnotations();
            HttpResponse<String> metrics = get(base + ann.get("prometheus.io/path"), null);
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("rill_generations_active"), "Rill's metrics are where the pod annotations say");

            // The Secret's key reaches the server: the API refuses requests without it.
            assertEquals(401, get(base + "/v1/models", null).statusCode(), "without the API key");
            HttpResponse<String> models = get(base + "/v1/models", KEY);
            assertEquals(200, models.statusCode(), models.body());
            JsonNode list = new ObjectMapper().readTree(models.body()).path("data");
            assertEquals("chat", list.path(0).path("id").asText(), "the ConfigMap's model is served: " + models.body());

            // The bundled model was unpacked on the writable tmp volume, not on the (read-only) image.
            Path tmp = mounts.get("/tmp");
            try (Stream<Path> files = Files.walk(tmp)) {
                assertTrue(files.anyMatch(p -> p.getFileName().toString().equals("model.safetensors")),
                        "the bundled model is unpacked under java.io.tmpdir, the /tmp volume " + tmp);
            }
        } finally {
            pod.destroy();   // SIGTERM, as the kubelet sends after preStop
            long grace = m.pod().getTerminationGracePeriodSeconds();
            boolean ended = pod.waitFor(grace, TimeUnit.SECONDS);
            if (!ended) pod.destroyForcibly().waitFor();
            assertTrue(ended, "the server did not stop within terminationGracePeriodSeconds (" + grace + " s) of SIGTERM:\n" + tail(log));
        }
    }

    @Test
    void aPathIsRewrittenOnceEvenWhenItsVolumeFolderLiesUnderAnotherMountPoint() {
        // The build may run under /tmp, so the folders standing for volumes start with the /tmp mount point.
        Map<String, Path> mounts = new LinkedHashMap<>();
        mounts.put("/tmp", Path.of("/tmp/build/pod/tmp"));
        mounts.put("/opt/rill/plugins", Path.of("/tmp/build/pod/opt/rill/plugins"));
        assertEquals("-Djava.io.tmpdir=/tmp/build/pod/tmp /tmp/build/pod/opt/rill/plugins/x.jar,/tmpfoo",
                onVolumes("-Djava.io.tmpdir=/tmp /opt/rill/plugins/x.jar,/tmpfoo", mounts));
    }

    /** Rewrites paths under a mount point (as whole words of the value) to the folder standing for that volume. */
    static String onVolumes(String value, Map<String, Path> mounts) {
        // One pass over the value, longest mount point first, so that a replaced path (which may itself
        // start with a mount point such as /tmp when the build runs under /tmp) is never rewritten again.
        if (mounts.isEmpty()) return value;
        String points = mounts.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed())
                .map(Pattern::quote).collect(Collectors.joining("|"));
        Matcher matcher = Pattern.compile("(?<=^|[\\s=,:])(" + points + ")(?=$|[/\\s,:])").matcher(value);
        return matcher.replaceAll(r -> Matcher.quoteReplacement(mounts.get(r.group(1)).toString()));
    }

    private static void awaitUp(Process pod, Path log, String url, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "no answer";
        while (System.nanoTime() < end) {
            if (!pod.isAlive()) fail("the server exited with " + pod.exitValue() + " before " + url + " said UP:\n" + tail(log));
            try {
                HttpResponse<String> r = get(url, null);
                if (r.statusCode() == 200) return;
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        fail(url + " did not say UP within " + seconds + " s (last: " + last + "):\n" + tail(log));
    }

    private static HttpResponse<String> get(String url, String key) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
