package dev.rill.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every build of k8s/ (base, each overlay, an overlay with both components) passes every check; then each overlay's own promises. */
class ManifestsTest {

    static final List<String> OVERLAYS = List.of("dev", "prod", "gpu");

    static Stream<Manifests> builds() {
        return Stream.concat(Stream.of(Manifests.of("base", Kustomize.build(Repo.k8s().resolve("base"))), Components.devWithBoth()),
                OVERLAYS.stream().map(Manifests::overlay));
    }

    @TestFactory
    Stream<DynamicContainer> everyBuildPassesEveryCheck() {
        return builds().map(m -> DynamicContainer.dynamicContainer(m.name(),
                Checks.all().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> e.getValue().accept(m)))));
    }

    @Test
    void everyOverlayBuildsOnTheBase() {
        for (String overlay : OVERLAYS) {
            Manifests m = Manifests.overlay(overlay);
            assertEquals(List.of("ConfigMap/rill-config", "Deployment/rill", "Service/rill", "Ingress/rill",
                            "HorizontalPodAutoscaler/rill", "PodDisruptionBudget/rill"),
                    m.resources().stream().map(r -> r.getKind() + "/" + r.getMetadata().getName()).toList(), overlay);
        }
    }

    @Test
    void devRunsOnePodOfALocallyBuiltImage() {
        Manifests m = Manifests.overlay("dev");
        assertEquals(1, m.deployment().getSpec().getReplicas());
        var hpa = m.get(HorizontalPodAutoscaler.class, "rill").getSpec();
        assertEquals(1, hpa.getMinReplicas());
        assertEquals(1, hpa.getMaxReplicas());
        assertEquals("rill:dev", m.container().getImage());
        assertEquals("IfNotPresent", m.container().getImagePullPolicy(), "a locally loaded image must not be pulled");
    }

    @Test
    void prodIsScaledByTheAutoscalerRequiresApiKeysAndServesTls() {
        Manifests m = Manifests.overlay("prod");
        assertNull(m.deployment().getSpec().getReplicas(), "the autoscaler owns the replica count; a re-apply must not reset it");
        var hpa = m.get(HorizontalPodAutoscaler.class, "rill").getSpec();
        assertTrue(hpa.getMinReplicas() >= 2, "prod keeps at least two pods: " + hpa.getMinReplicas());
        assertTrue(hpa.getMaxReplicas() > hpa.getMinReplicas());
        EnvVar keys = env(m.container(), "RILL_API_KEYS");
        assertNotNull(keys.getValueFrom().getSecretKeyRef(), "API keys come from a Secret");
        assertEquals(Boolean.FALSE, keys.getValueFrom().getSecretKeyRef().getOptional(), "prod does not start without API keys");
        Ingress ing = m.get(Ingress.class, "rill");
        List<String> hosts = ing.getSpec().getRules().stream().map(IngressRule::getHost).toList();
        assertFalse(hosts.contains(null), "prod's rules name their host");
        assertTrue(ing.getSpec().getTls().stream().flatMap(t -> t.getHosts().stream()).toList().containsAll(hosts), "TLS covers every host");
        assertEquals("true", ing.getMetadata().getAnnotations().get(Checks.NGINX + "session-cookie-secure"), "the affinity cookie is HTTPS-only");
        assertFalse(m.pod().getTopologySpreadConstraints().isEmpty(), "pods spread over nodes");
    }

    @Test
    void gpuRequestsOneGpuAndTheTornadoVmBackend() {
        Manifests m = Manifests.overlay("gpu");
        Container c = m.container();
        assertEquals(new Quantity("1"), c.getResources().getLimits().get("nvidia.com/gpu"));
        assertEquals("tornadovm", m.get(ConfigMap.class, "rill-config").getData().get("RILL_BACKEND"));
        assertTrue(m.pod().getTolerations().stream().anyMatch(t -> "nvidia.com/gpu".equals(t.getKey())), "tolerates GPU node taints");
        assertTrue(c.getImage().contains("rill-tornadovm"), "the image built by Dockerfile.tornadovm: " + c.getImage());
        // The drivers cache compiled kernels under $HOME: it must be writable on a read-only root.
        String home = Checks.envValue(c, "HOME");
        assertNotNull(home, "HOME is set");
        VolumeMount mount = Checks.mountFor(c, home).orElseThrow(() -> new AssertionError("HOME " + home + " is on the read-only root"));
        assertNotNull(Checks.volume(m, mount.getName()).getEmptyDir(), "HOME is on a writable emptyDir");
        assertFalse(Boolean.TRUE.equals(mount.getReadOnly()));
        // TornadoVM's argfile chooses the collector; a second, different one would stop the JVM.
        assertTrue(Checks.jvmOptionsOf(c).tokens().stream().noneMatch(t -> t.matches("-XX:\\+Use\\w+GC") && !t.equals("-XX:+UseParallelGC")),
                "no GC other than TornadoVM's ParallelGC");
    }

    @Test
    void componentsMountModelsAndPluginJars() {
        Manifests m = Components.devWithBoth();
        Container c = m.container();
        VolumeMount models = c.getVolumeMounts().stream().filter(v -> v.getMountPath().equals("/models")).findFirst().orElseThrow();
        assertTrue(models.getReadOnly());
        Volume mv = Checks.volume(m, models.getName());
        assertEquals("rill-models", mv.getPersistentVolumeClaim().getClaimName());
        PersistentVolumeClaim pvc = m.get(PersistentVolumeClaim.class, "rill-models");
        assertTrue(pvc.getSpec().getAccessModes().contains("ReadOnlyMany"), "every replica mounts the models");
        String pluginDir = m.get(ConfigMap.class, "rill-config").getData().get("RILL_PLUGINS");
        VolumeMount plugins = Checks.mountFor(c, pluginDir).orElseThrow();
        assertEquals(pluginDir, plugins.getMountPath());
        assertEquals("rill-plugins", Checks.volume(m, plugins.getName()).getConfigMap().getName());
    }

    static EnvVar env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no env " + name));
    }
}
