package dev.rill.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each check fails on a manifest broken in the way it guards against, with a message naming the problem. */
class ChecksCanFailTest {

    static Stream<Arguments> breakages() {
        return Stream.of(
                breakage("probes", "asks /q/health/readyz", m -> m.container().getReadinessProbe().getHttpGet().setPath("/q/health/readyz")),
                breakage("probes", "do not include quarkus.http.port", m -> m.container().getPorts().getFirst().setContainerPort(8081)),
                breakage("probes", "names port 'web'", m -> m.container().getLivenessProbe().getHttpGet().setPort(new IntOrString("web"))),
                breakage("probes", "gives up after 60 s", m -> m.container().getStartupProbe().setFailureThreshold(12)),
                breakage("probes", "no HTTP startupProbe", m -> m.container().setStartupProbe(null)),
                breakage("configuration", "RILL_GENERATION_MAX_CONCURENT", m -> config(m).put("RILL_GENERATION_MAX_CONCURENT", "8")),
                breakage("configuration", "would not accept", m -> config(m).put("RILL_GENERATION_MAX_CONCURRENT", "lots")),
                breakage("configuration", "RILL_PLUGINS", m -> config(m).put("RILL_PLUGINS", "/plugins")),
                breakage("configuration", "model /models/mine is on no mounted volume", m -> config(m).put("RILL_MODELS_MINE", "/models/mine")),
                breakage("configuration", "env RILL_MAX_TOKENS", m -> m.container().getEnv().add(new EnvVar("RILL_MAX_TOKENS", "9", null))),
                breakage("configuration", "from no ConfigMap", m -> m.container().getEnvFrom().clear()),
                breakage("jvm options", "jdk.incubator.vector", m -> jvm(m).setValue("-XX:+UseParallelGC -XX:MaxRAMPercentage=70")),
                breakage("jvm options", "jdk.incubator.vector", m -> jvm(m).setValue("--add-modules=java.sql")),
                breakage("security", "readOnlyRootFilesystem", m -> m.container().getSecurityContext().setReadOnlyRootFilesystem(false)),
                breakage("security", "runAsNonRoot", m -> {
                    m.pod().getSecurityContext().setRunAsNonRoot(null);
                    m.container().getSecurityContext().setRunAsNonRoot(false);
                }),
                breakage("security", "runAsUser is 0", m -> m.container().getSecurityContext().setRunAsUser(0L)),
                breakage("security", "allowPrivilegeEscalation", m -> m.container().getSecurityContext().setAllowPrivilegeEscalation(true)),
                breakage("security", "on the read-only root filesystem", m -> m.container().getVolumeMounts().removeIf(v -> v.getMountPath().equals("/tmp"))),
                breakage("security", "(java.io.tmpdir) is read-only", m -> tmpMount(m).setReadOnly(true)),
                breakage("security", "cannot hold the bundled models", m -> Checks.volume(m, "tmp").getEmptyDir().setSizeLimit(new Quantity("64Ki"))),
                breakage("security", "enableServiceLinks", m -> m.pod().setEnableServiceLinks(null)),
                breakage("routing", "not the pods", m -> m.get(Service.class, "rill").getSpec().setSelector(Map.of("app", "other"))),
                breakage("routing", "prometheus.io/port", m -> m.deployment().getSpec().getTemplate().getMetadata().getAnnotations().put("prometheus.io/port", "9000")),
                breakage("routing", "would listen on 127.0.0.1 only", m -> m.container().getEnv().removeIf(e -> e.getName().equals("QUARKUS_HTTP_HOST"))),
                breakage("routing", "selector does not match", m -> m.deployment().getSpec().getSelector().setMatchLabels(Map.of("app", "x"))),
                breakage("ingress", "proxy-read-timeout 60 s is too short", m -> ingress(m).put(Checks.NGINX + "proxy-read-timeout", "60")),
                breakage("ingress", "proxy-send-timeout is not set", m -> ingress(m).remove(Checks.NGINX + "proxy-send-timeout")),
                breakage("ingress", "proxy-http-version", m -> ingress(m).put(Checks.NGINX + "proxy-http-version", "1.0")),
                breakage("ingress", "cookie affinity", m -> ingress(m).remove(Checks.NGINX + "affinity")),
                breakage("ingress", "proxy-body-size", m -> ingress(m).put(Checks.NGINX + "proxy-body-size", "512k")),
                breakage("ingress", "proxy-buffering", m -> ingress(m).remove(Checks.NGINX + "proxy-buffering")),
                breakage("ingress", "not in this build", m -> m.get(Ingress.class, "rill").getSpec().getRules().getFirst().getHttp().getPaths()
                        .getFirst().getBackend().getService().setName("chat")),
                breakage("scaling", "node drains would hang", m -> {
                    var pdb = m.get(PodDisruptionBudget.class, "rill").getSpec();
                    pdb.setMaxUnavailable(null);
                    pdb.setMinAvailable(new IntOrString(1));
                }),
                breakage("scaling", "not the Deployment", m -> m.get(HorizontalPodAutoscaler.class, "rill").getSpec().getScaleTargetRef().setName("rill-old")),
                breakage("scaling", "outside the autoscaler", m -> m.deployment().getSpec().setReplicas(3)),
                breakage("scaling", "needs a CPU request", m -> m.container().getResources().getRequests().remove("cpu")));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("breakages")
    void checkCatchesIt(String check, String expected, Consumer<Manifests> breakIt) {
        Manifests fine = Manifests.overlay("dev");
        Consumer<Manifests> c = Checks.all().get(check);
        assertDoesNotThrow(() -> c.accept(fine), "the unbroken build passes");
        Manifests broken = fine.copy();
        breakIt.accept(broken);
        AssertionError e = assertThrows(AssertionError.class, () -> c.accept(broken));
        assertTrue(e.getMessage().contains(expected), "message names the problem (" + expected + "): " + e.getMessage());
    }

    private static Arguments breakage(String check, String expected, Consumer<Manifests> breakIt) {
        return Arguments.of(check, expected, breakIt);
    }

    private static Map<String, String> config(Manifests m) {
        return m.get(ConfigMap.class, "rill-config").getData();
    }

    private static EnvVar jvm(Manifests m) {
        Container c = m.container();
        return c.getEnv().stream().filter(e -> e.getName().equals("JDK_JAVA_OPTIONS")).findFirst().orElseThrow();
    }

    private static io.fabric8.kubernetes.api.model.VolumeMount tmpMount(Manifests m) {
        return m.container().getVolumeMounts().stream().filter(v -> v.getMountPath().equals("/tmp")).findFirst().orElseThrow();
    }

    private static Map<String, String> ingress(Manifests m) {
        return m.get(Ingress.class, "rill").getMetadata().getAnnotations();
    }
}
