package dev.rill.deploy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The output of a kustomization as fabric8 Kubernetes objects. Parsing is strict: an unknown kind,
 * or a field the Kubernetes model does not have (a typo such as {@code readinesProbe}, which fabric8
 * would otherwise keep aside in "additional properties"), is an error naming the resource and the field.
 */
record Manifests(String name, List<HasMetadata> resources) {

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** Builds {@code k8s/overlays/<overlay>} and parses the result. */
    static Manifests overlay(String overlay) {
        return of("overlay " + overlay, Kustomize.build(Repo.overlay(overlay)));
    }

    static Manifests of(String name, List<ObjectNode> documents) {
        List<HasMetadata> parsed = new ArrayList<>();
        for (ObjectNode doc : documents) parsed.add(parse(doc));
        return new Manifests(name, List.copyOf(parsed));
    }

    static HasMetadata parse(ObjectNode doc) {
        String id = Kustomize.id(doc);
        KubernetesResource r = SERIALIZATION.unmarshal(doc.toString());
        if (r instanceof GenericKubernetesResource || !(r instanceof HasMetadata h)) {
            throw new IllegalArgumentException(id + ": " + doc.path("apiVersion").asText() + " " + doc.path("kind").asText()
                    + " is not a kind the Kubernetes model knows");
        }
        List<String> unknown = new ArrayList<>();
        unknownFields(h, id, unknown);
        if (!unknown.isEmpty()) throw new IllegalArgumentException("fields the Kubernetes model does not have: " + unknown);
        return h;
    }

    /** Walks the model objects' getters and collects every additional (unmodelled) property with its path. */
    private static void unknownFields(Object o, String path, List<String> out) {
        if (o == null || o instanceof String || o instanceof Number || o instanceof Boolean || o.getClass().isEnum()) return;
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out));
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) unknownFields(e, path + "[" + i++ + "]", out);
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) return;
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) continue;
            String n = m.getName();
            if (!n.startsWith("get") || n.equals("getClass")) continue;
            Object v;
            try {
                v = m.invoke(o);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (n.equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) extra.keySet().forEach(k -> out.add(path + "." + k));
            } else {
                unknownFields(v, path + "." + Character.toLowerCase(n.charAt(3)) + n.substring(4), out);
            }
        }
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> type, String name) {
        return find(type, name).orElseThrow(() -> new AssertionError(this.name + ": no " + type.getSimpleName() + " named " + name));
    }

    /** Rill's Deployment (there is one). */
    Deployment deployment() {
        List<Deployment> d = all(Deployment.class);
        if (d.size() != 1) throw new AssertionError(name + ": expected one Deployment, found " + d.size());
        return d.getFirst();
    }

    PodSpec pod() {
        return deployment().getSpec().getTemplate().getSpec();
    }

    /** The container named rill. */
    Container container() {
        return pod().getContainers().stream().filter(c -> c.getName().equals("rill")).findFirst()
                .orElseThrow(() -> new AssertionError(name + ": the Deployment has no container named rill"));
    }

    /** The ConfigMaps the container takes its environment from. */
    List<ConfigMap> envConfigMaps() {
        List<ConfigMap> maps = new ArrayList<>();
        for (var from : container().getEnvFrom()) {
            if (from.getConfigMapRef() != null) maps.add(get(ConfigMap.class, from.getConfigMapRef().getName()));
        }
        return maps;
    }

    /** A copy that a test may change, to show that a check catches the change. */
    Manifests copy() {
        return new Manifests(name + " (changed)", resources.stream().map(SERIALIZATION::clone).toList());
    }
}
