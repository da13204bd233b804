package dev.rill.deploy;

import dev.rill.server.config.RillConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What every build of k8s/ must satisfy, checked against the server's real configuration. Each
 * check throws an {@link AssertionError} naming the resource and what is wrong;
 * {@link ChecksCanFailTest} shows that each one catches a broken manifest.
 */
final class Checks {

    /** Quarkus's Prometheus, health and WebSocket settings, read from the server's application.properties. */
    static final AppConfig APP = AppConfig.load();

    /** The least time the startup probe must allow for loading a model (a large GGUF file takes minutes). */
    static final int MIN_STARTUP_SECONDS = 300;
    /** The least proxy read/send timeout for long chats and streams, in seconds. */
    static final int MIN_PROXY_TIMEOUT_SECONDS = 300;

    private Checks() {
    }

    /** Every check, by name, as the tests run them on each build. */
    static Map<String, java.util.function.Consumer<Manifests>> all() {
        Map<String, java.util.function.Consumer<Manifests>> checks = new LinkedHashMap<>();
        checks.put("probes", Checks::probes);
        checks.put("configuration", Checks::configuration);
        checks.put("jvm options", Checks::jvmOptions);
        checks.put("security", Checks::security);
        checks.put("routing", Checks::routing);
        checks.put("ingress", Checks::ingress);
        checks.put("scaling", Checks::scaling);
        return checks;
    }

    // ---- probes ----------------------------------------------------------------------------------

    /** Startup, readiness and liveness probes on the health paths and port the server really uses. */
    static void probes(Manifests m) {
        Container c = m.container();
        int port = APP.httpPort();
        boolean served = c.getPorts().stream().anyMatch(p -> Objects.equals(p.getContainerPort(), port));
        check(served, m, "the container's ports " + c.getPorts().stream().map(ContainerPort::getContainerPort).toList()
                + " do not include quarkus.http.port " + port);
        probe(m, c, "startupProbe", c.getStartupProbe(), APP.startupPath());
        probe(m, c, "readinessProbe", c.getReadinessProbe(), APP.readinessPath());
        probe(m, c, "livenessProbe", c.getLivenessProbe(), APP.livenessPath());
        Probe s = c.getStartupProbe();
        int budget = orDefault(s.getInitialDelaySeconds(), 0) + orDefault(s.getPeriodSeconds(), 10) * orDefault(s.getFailureThreshold(), 3);
        check(budget >= MIN_STARTUP_SECONDS, m, "the startup probe gives up after " + budget + " s; loading a model may take "
                + MIN_STARTUP_SECONDS + " s or more (raise failureThreshold)");
    }

    private static void probe(Manifests m, Container c, String what, Probe p, String expectedPath) {
        check(p != null && p.getHttpGet() != null, m, "the container has no HTTP " + what);
        check(expectedPath.equals(p.getHttpGet().getPath()), m, what + " asks " + p.getHttpGet().getPath()
                + " but the server answers it on " + expectedPath);
        int resolved = containerPort(m, c, p.getHttpGet().getPort(), what);
        check(resolved == APP.probePort(), m, what + " goes to port " + resolved + " but health is served on " + APP.probePort());
    }

    /** A port given by number or by the name of a container port. */
    static int containerPort(Manifests m, Container c, IntOrString port, String what) {
        check(port != null, m, what + " names no port");
        if (port.getIntVal() != null) return port.getIntVal();
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort)
                .findFirst().orElseThrow(() -> new AssertionError(m.name() + ": " + what + " names port '" + port.getStrVal()
                        + "', which the container does not declare"));
    }

    // ---- configuration ---------------------------------------------------------------------------

    /**
     * Every ConfigMap key and RILL_ variable sets a real rill.* property, every value converts to its
     * type, and the plugin folder and model paths lie on volumes mounted in the container.
     */
    static void configuration(Manifests m) {
        Container c = m.container();
        List<ConfigMap> maps = m.envConfigMaps();
        check(!maps.isEmpty(), m, "the container takes its environment from no ConfigMap: Rill's configuration does not reach it");
        RillProperties known = RillProperties.get();
        Map<String, String> env = new LinkedHashMap<>();
        for (ConfigMap cm : maps) {
            check(cm.getData() != null && !cm.getData().isEmpty(), m, "ConfigMap " + cm.getMetadata().getName() + " is empty");
            cm.getData().forEach((k, v) -> {
                check(known.isProperty(k), m, "ConfigMap " + cm.getMetadata().getName() + " has key " + k
                        + ", which sets no rill.* property (the properties: " + known.describe() + ")");
                env.put(k, v);
            });
        }
        for (EnvVar e : c.getEnv()) {
            if (!e.getName().startsWith("RILL_")) continue;
            check(known.isProperty(e.getName()), m, "env " + e.getName() + " sets no rill.* property (the properties: " + known.describe() + ")");
            if (e.getValue() != null) env.put(e.getName(), e.getValue());
        }
        RillConfig config;
        try {
            config = RillProperties.read(env);
        } catch (RuntimeException e) {
            throw new AssertionError(m.name() + ": the server would not accept this configuration: " + e.getMessage(), e);
        }
        config.plugins().ifPresent(dir -> check(c.getVolumeMounts().stream().anyMatch(v -> Path.of(v.getMountPath()).equals(dir)), m,
                "the plugin folder " + dir + " (RILL_PLUGINS) is not a mounted volume: the server refuses a missing folder"));
        Stream.concat(Stream.of(config.model()), config.models().values().stream())
                .filter(spec -> spec.startsWith("/"))
                .forEach(path -> check(mountFor(c, path).isPresent(), m, "model " + path + " is on no mounted volume"));
    }

    // ---- JVM options -----------------------------------------------------------------------------

    /** The JVM gets --add-modules=jdk.incubator.vector: without it the kernels fail at first use. */
    static void jvmOptions(Manifests m) {
        JvmOptions options = jvmOptionsOf(m.container());
        check(options.addedModules().contains(JvmOptions.VECTOR_MODULE), m, "the JVM options (" + JvmOptions.VARIABLES
                + ") do not add " + JvmOptions.VECTOR_MODULE + ": " + options.tokens());
    }

    static JvmOptions jvmOptionsOf(Container c) {
        StringBuilder all = new StringBuilder();
        for (String name : JvmOptions.VARIABLES) {
            c.getEnv().stream().filter(e -> e.getName().equals(name) && e.getValue() != null).forEach(e -> all.append(' ').append(e.getValue()));
        }
        return JvmOptions.parse(all.toString());
    }

    // ---- security --------------------------------------------------------------------------------

    /**
     * Non-root, read-only root filesystem, no privilege escalation, no capabilities, and a writable,
     * size-limited volume at java.io.tmpdir large enough for the bundled models unpacked there.
     */
    static void security(Manifests m) {
        PodSpec pod = m.pod();
        Container c = m.container();
        PodSecurityContext psc = pod.getSecurityContext();
        SecurityContext sc = c.getSecurityContext();
        check(sc != null, m, "the container has no securityContext");
        boolean nonRoot = Boolean.TRUE.equals(sc.getRunAsNonRoot()) || (psc != null && Boolean.TRUE.equals(psc.getRunAsNonRoot()));
        check(nonRoot, m, "runAsNonRoot is not true");
        Long uid = sc.getRunAsUser() != null ? sc.getRunAsUser() : psc == null ? null : psc.getRunAsUser();
        check(uid == null || uid != 0, m, "runAsUser is 0 (root)");
        check(Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem()), m, "readOnlyRootFilesystem is not true");
        check(Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation()), m, "allowPrivilegeEscalation is not false");
        check(sc.getCapabilities() != null && sc.getCapabilities().getDrop().contains("ALL"), m, "capabilities are not dropped (drop: [ALL])");
        check(Boolean.FALSE.equals(pod.getAutomountServiceAccountToken()), m, "the pod mounts a service account token it never uses");

        String tmpdir = jvmOptionsOf(c).systemProperty("java.io.tmpdir").orElse("/tmp");
        VolumeMount tmp = mountFor(c, tmpdir).orElseThrow(() -> new AssertionError(m.name() + ": java.io.tmpdir " + tmpdir
                + " is on the read-only root filesystem: the bundled model is unpacked there"));
        check(!Boolean.TRUE.equals(tmp.getReadOnly()), m, "the volume at " + tmp.getMountPath() + " (java.io.tmpdir) is read-only");
        Volume v = volume(m, tmp.getName());
        check(v.getEmptyDir() != null, m, "java.io.tmpdir is on volume " + v.getName() + ", which is not an emptyDir");
        Quantity limit = v.getEmptyDir().getSizeLimit();
        check(limit != null, m, "the emptyDir " + v.getName() + " at java.io.tmpdir has no sizeLimit");
        long bundled = bundledModelBytes();
        check(Quantity.getAmountInBytes(limit).longValue() >= bundled, m, "the emptyDir " + v.getName() + " (" + limit
                + ") cannot hold the bundled models (" + bundled + " bytes)");

        for (Service s : m.all(Service.class)) {
            String prefix = s.getMetadata().getName().toUpperCase(java.util.Locale.ROOT).replace('-', '_') + "_";
            if (prefix.startsWith("RILL_")) {
                check(Boolean.FALSE.equals(pod.getEnableServiceLinks()), m, "Service " + s.getMetadata().getName()
                        + " would add " + prefix + "SERVICE_HOST etc. to the environment Rill reads its configuration from: set enableServiceLinks: false");
            }
        }
    }

    /** The size of the repository's models/ folder: at least what is unpacked from the jar. */
    static long bundledModelBytes() {
        try (Stream<Path> files = Files.walk(Repo.root().resolve("models"))) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- routing ---------------------------------------------------------------------------------

    /**
     * The Deployment selects its pods, the Service reaches them on the server's port, metrics are
     * scraped where they are, and the server listens beyond loopback (its default is 127.0.0.1).
     */
    static void routing(Manifests m) {
        Deployment d = m.deployment();
        String host = Optional.ofNullable(envValue(m.container(), "QUARKUS_HTTP_HOST")).orElse(APP.get("quarkus.http.host", "0.0.0.0"));
        check(host.equals("0.0.0.0") || host.equals("::"), m, "the server would listen on " + host
                + " only, where neither the Service nor the probes reach it: set QUARKUS_HTTP_HOST to 0.0.0.0");
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
        check(selects(d.getSpec().getSelector().getMatchLabels(), podLabels), m, "the Deployment's selector does not match its pod labels");
        List<Service> services = m.all(Service.class);
        check(!services.isEmpty(), m, "no Service");
        for (Service s : services) {
            check(selects(s.getSpec().getSelector(), podLabels), m, "Service " + s.getMetadata().getName() + " selects "
                    + s.getSpec().getSelector() + ", not the pods " + podLabels);
            for (ServicePort p : s.getSpec().getPorts()) {
                IntOrString target = p.getTargetPort() == null ? new IntOrString(p.getPort()) : p.getTargetPort();
                int port = containerPort(m, m.container(), target, "Service " + s.getMetadata().getName() + " port " + p.getName());
                check(port == APP.httpPort(), m, "Service " + s.getMetadata().getName() + " sends to port " + port
                        + ", the server listens on " + APP.httpPort());
            }
        }
        Map<String, String> ann = Optional.ofNullable(d.getSpec().getTemplate().getMetadata().getAnnotations()).orElse(Map.of());
        if ("true".equals(ann.get("prometheus.io/scrape"))) {
            check(String.valueOf(APP.probePort()).equals(ann.get("prometheus.io/port")), m, "prometheus.io/port is "
                    + ann.get("prometheus.io/port") + ", metrics are on " + APP.probePort());
            check(APP.metricsPath().equals(ann.get("prometheus.io/path")), m, "prometheus.io/path is " + ann.get("prometheus.io/path")
                    + ", metrics are on " + APP.metricsPath());
        }
    }

    private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels != null && labels.entrySet().containsAll(selector.entrySet());
    }

    // ---- ingress ---------------------------------------------------------------------------------

    static final String NGINX = "nginx.ingress.kubernetes.io/";

    /**
     * ingress-nginx settings for WebSockets and streams: HTTP/1.1 to the pods (needed for the Upgrade),
     * read/send timeouts far above the server's ping interval, no buffering, a body limit not below the
     * server's, cookie affinity; and every backend is a Service port of this build.
     */
    static void ingress(Manifests m) {
        List<Ingress> ingresses = m.all(Ingress.class);
        check(!ingresses.isEmpty(), m, "no Ingress");
        for (Ingress ing : ingresses) {
            String name = "Ingress " + ing.getMetadata().getName();
            check("nginx".equals(ing.getSpec().getIngressClassName()), m, name + " is for class " + ing.getSpec().getIngressClassName()
                    + ", but its settings are ingress-nginx annotations");
            Map<String, String> a = Optional.ofNullable(ing.getMetadata().getAnnotations()).orElse(Map.of());
            check("1.1".equals(a.get(NGINX + "proxy-http-version")), m, name + ": proxy-http-version is not 1.1 (WebSocket upgrade)");
            long ping = APP.webSocketPingInterval().toSeconds();
            for (String t : List.of("proxy-read-timeout", "proxy-send-timeout")) {
                String v = a.get(NGINX + t);
                check(v != null && v.matches("\\d+"), m, name + ": " + t + " is not set in seconds (ingress-nginx's default, 60 s, ends chats)");
                long s = Long.parseLong(v);
                check(s >= MIN_PROXY_TIMEOUT_SECONDS && s > 2 * ping, m, name + ": " + t + " " + s + " s is too short (at least "
                        + MIN_PROXY_TIMEOUT_SECONDS + " s and twice the server's WebSocket ping interval, " + ping + " s)");
            }
            check("off".equals(a.get(NGINX + "proxy-buffering")), m, name + ": proxy-buffering is not off (tokens would arrive in bursts)");
            long body = AppConfig.bytes(a.getOrDefault(NGINX + "proxy-body-size", "1m"));
            check(body >= APP.maxBodySize(), m, name + ": proxy-body-size (" + body + " bytes) is below the server's limit ("
                    + APP.maxBodySize() + "): the proxy would refuse requests the server accepts");
            check("cookie".equals(a.get(NGINX + "affinity")), m, name + ": no cookie affinity: a reconnecting browser may land on another pod");
            check(a.get(NGINX + "session-cookie-name") != null, m, name + ": the affinity cookie has no name");
            for (IngressRule rule : ing.getSpec().getRules()) {
                for (HTTPIngressPath path : rule.getHttp().getPaths()) {
                    var backend = path.getBackend().getService();
                    Service s = m.find(Service.class, backend.getName()).orElseThrow(() -> new AssertionError(m.name() + ": "
                            + name + " sends " + path.getPath() + " to Service " + backend.getName() + ", which is not in this build"));
                    boolean portExists = s.getSpec().getPorts().stream().anyMatch(p -> backend.getPort().getName() != null
                            ? backend.getPort().getName().equals(p.getName()) : Objects.equals(backend.getPort().getNumber(), p.getPort()));
                    check(portExists, m, name + " uses a port of Service " + s.getMetadata().getName() + " that it does not have");
                }
            }
        }
    }

    // ---- scaling ---------------------------------------------------------------------------------

    /**
     * The autoscaler scales this Deployment within sane bounds and can measure CPU; the disruption
     * budget covers the pods and never blocks a node drain at the smallest size.
     */
    static void scaling(Manifests m) {
        Deployment d = m.deployment();
        List<HorizontalPodAutoscaler> hpas = m.all(HorizontalPodAutoscaler.class);
        check(hpas.size() == 1, m, "expected one HorizontalPodAutoscaler, found " + hpas.size());
        var hpa = hpas.getFirst().getSpec();
        check("Deployment".equals(hpa.getScaleTargetRef().getKind()) && d.getMetadata().getName().equals(hpa.getScaleTargetRef().getName()),
                m, "the autoscaler scales " + hpa.getScaleTargetRef().getKind() + "/" + hpa.getScaleTargetRef().getName() + ", not the Deployment");
        int min = orDefault(hpa.getMinReplicas(), 1);
        check(min >= 1 && min <= hpa.getMaxReplicas(), m, "autoscaler bounds " + min + ".." + hpa.getMaxReplicas() + " are not a range");
        Integer replicas = d.getSpec().getReplicas();
        check(replicas == null || (replicas >= min && replicas <= hpa.getMaxReplicas()), m, "the Deployment asks " + replicas
                + " replicas, outside the autoscaler's " + min + ".." + hpa.getMaxReplicas());
        boolean cpuMetric = hpa.getMetrics().stream().anyMatch(x -> x.getResource() != null && "cpu".equals(x.getResource().getName()));
        if (cpuMetric) {
            var requests = m.container().getResources().getRequests();
            check(requests != null && requests.containsKey("cpu"), m, "the autoscaler measures CPU utilisation, which needs a CPU request");
        }
        List<PodDisruptionBudget> pdbs = m.all(PodDisruptionBudget.class);
        check(pdbs.size() == 1, m, "expected one PodDisruptionBudget, found " + pdbs.size());
        var pdb = pdbs.getFirst().getSpec();
        check(selects(pdb.getSelector().getMatchLabels(), d.getSpec().getTemplate().getMetadata().getLabels()), m,
                "the PodDisruptionBudget does not select the pods");
        int allowed;
        if (pdb.getMaxUnavailable() != null) allowed = disruptions(pdb.getMaxUnavailable(), min);
        else allowed = min - disruptions(pdb.getMinAvailable(), min);
        check(allowed >= 1, m, "at " + min + " replicas the PodDisruptionBudget allows no disruption: node drains would hang");
    }

    private static int disruptions(IntOrString v, int replicas) {
        if (v == null) return 0;
        if (v.getIntVal() != null) return v.getIntVal();
        String s = v.getStrVal();
        if (s.endsWith("%")) return (int) Math.ceil(replicas * Integer.parseInt(s.substring(0, s.length() - 1)) / 100.0);
        return Integer.parseInt(s);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** The mount holding {@code path} (the longest mount path that contains it). */
    static Optional<VolumeMount> mountFor(Container c, String path) {
        Path p = Path.of(path).normalize();
        return c.getVolumeMounts().stream().filter(v -> p.startsWith(Path.of(v.getMountPath())))
                .max(java.util.Comparator.comparingInt(v -> Path.of(v.getMountPath()).getNameCount()));
    }

    static Volume volume(Manifests m, String name) {
        return m.pod().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(m.name() + ": the pod mounts volume " + name + ", which it does not define"));
    }

    static String envValue(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
    }

    private static int orDefault(Integer v, int dflt) {
        return v == null ? dflt : v;
    }

    static void check(boolean ok, Manifests m, String message) {
        if (!ok) throw new AssertionError(m.name() + ": " + message);
    }
}
