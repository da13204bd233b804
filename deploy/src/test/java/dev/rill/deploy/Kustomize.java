package dev.rill.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.zjsonpatch.JsonPatch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * {@code kustomize build} for the features Rill's k8s/ folder uses: {@code resources} (files and
 * kustomization folders), {@code components}, {@code patches} given as RFC 6902 JSON patches with a
 * kind/name target (applied by fabric8's zjsonpatch), and {@code images}. Anything else in a
 * kustomization is refused, so a manifest can never rely on a field this build would silently skip;
 * {@link KustomizeBuildTest} compares the result with the real kustomize where {@code kubectl} is installed.
 */
final class Kustomize {

    static final YAMLMapper YAML = new YAMLMapper();

    private static final Set<String> KUSTOMIZATION_FIELDS = Set.of("apiVersion", "kind", "resources", "components", "patches", "images");
    private static final Set<String> PATCH_FIELDS = Set.of("path", "patch", "target");
    private static final Set<String> TARGET_FIELDS = Set.of("kind", "name");
    private static final Set<String> IMAGE_FIELDS = Set.of("name", "newName", "newTag", "digest");

    private Kustomize() {
    }

    /** The resources the kustomization in {@code dir} produces, in the order they were accumulated. */
    static List<ObjectNode> build(Path dir) {
        return build(dir, "Kustomization");
    }

    private static List<ObjectNode> build(Path dir, String expectedKind) {
        ObjectNode k = kustomization(dir, expectedKind);
        List<ObjectNode> out = new ArrayList<>();
        for (JsonNode r : list(k, "resources", dir)) {
            Path p = dir.resolve(r.asText()).normalize();
            if (Files.isDirectory(p)) out.addAll(build(p, "Kustomization"));
            else if (Files.isRegularFile(p)) out.addAll(readDocuments(p));
            else throw new IllegalArgumentException(dir + ": resource '" + r.asText() + "' does not exist");
        }
        for (JsonNode c : list(k, "components", dir)) {
            Path p = dir.resolve(c.asText()).normalize();
            if (!Files.isDirectory(p)) throw new IllegalArgumentException(dir + ": component '" + c.asText() + "' is not a folder");
            ObjectNode component = kustomization(p, "Component");
            if (component.has("components")) throw new IllegalArgumentException(p + ": nested components are not implemented by this build");
            for (JsonNode r : list(component, "resources", p)) out.addAll(readDocuments(p.resolve(r.asText()).normalize()));
            transform(component, p, out);
        }
        transform(k, dir, out);
        Set<String> ids = new HashSet<>();
        for (ObjectNode o : out) {
            if (!ids.add(id(o))) throw new IllegalArgumentException(dir + ": two resources are " + id(o));
        }
        return out;
    }

    /** {@code Kind/name}: how kustomize tells resources apart (namespaces are not used here). */
    static String id(JsonNode o) {
        return o.path("kind").asText() + "/" + o.path("metadata").path("name").asText();
    }

    private static ObjectNode kustomization(Path dir, String expectedKind) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + " has no kustomization.yaml");
        List<ObjectNode> docs = readDocuments(file);
        if (docs.size() != 1) throw new IllegalArgumentException(file + ": expected one document, found " + docs.size());
        ObjectNode k = docs.getFirst();
        for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!KUSTOMIZATION_FIELDS.contains(f)) {
                throw new IllegalArgumentException(file + ": field '" + f + "' is not implemented by this test's kustomize build "
                        + "(it implements " + KUSTOMIZATION_FIELDS + "); implement it in " + Kustomize.class.getSimpleName() + " first");
            }
        }
        String kind = k.path("kind").asText("Kustomization");
        if (!kind.equals(expectedKind)) throw new IllegalArgumentException(file + ": kind is " + kind + ", expected " + expectedKind);
        return k;
    }

    private static void transform(ObjectNode k, Path dir, List<ObjectNode> resources) {
        for (JsonNode p : list(k, "patches", dir)) patch((ObjectNode) p, dir, resources);
        for (JsonNode i : list(k, "images", dir)) images((ObjectNode) i, dir, resources);
    }

    private static void patch(ObjectNode spec, Path dir, List<ObjectNode> resources) {
        onlyFields(spec, PATCH_FIELDS, dir, "a patch");
        JsonNode target = spec.path("target");
        if (!target.isObject() || !target.has("kind") || !target.has("name")) {
            throw new IllegalArgumentException(dir + ": every patch needs a target with kind and name (" + spec + ")");
        }
        onlyFields((ObjectNode) target, TARGET_FIELDS, dir, "a patch target");
        JsonNode ops;
        String where;
        if (spec.has("path")) {
            Path file = dir.resolve(spec.get("path").asText());
            where = file.toString();
            try {
                ops = YAML.readTree(file.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": " + e.getMessage(), e);
            }
        } else {
            where = dir + " (inline patch)";
            try {
                ops = YAML.readTree(spec.path("patch").asText());
            } catch (IOException e) {
                throw new UncheckedIOException(where + ": " + e.getMessage(), e);
            }
        }
        if (!ops.isArray()) {
            throw new IllegalArgumentException(where + ": not a list of RFC 6902 operations; strategic-merge patches are not implemented by this build");
        }
        int matched = 0;
        for (int i = 0; i < resources.size(); i++) {
            ObjectNode r = resources.get(i);
            if (r.path("kind").asText().equals(target.get("kind").asText())
                    && r.path("metadata").path("name").asText().equals(target.get("name").asText())) {
                try {
                    resources.set(i, (ObjectNode) JsonPatch.apply(ops, r));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(where + " on " + id(r) + ": " + e.getMessage(), e);
                }
                matched++;
            }
        }
        if (matched == 0) throw new IllegalArgumentException(where + ": target " + target + " matches no resource");
    }

    private static void images(ObjectNode spec, Path dir, List<ObjectNode> resources) {
        onlyFields(spec, IMAGE_FIELDS, dir, "an images entry");
        String name = spec.path("name").asText();
        for (ObjectNode r : resources) {
            for (String podSpec : new String[]{"/spec/template/spec", "/spec"}) {
                for (String list : new String[]{"containers", "initContainers"}) {
                    for (JsonNode c : r.at(podSpec + "/" + list)) {
                        if (!(c instanceof ObjectNode container) || !container.path("image").isTextual()) continue;
                        Image image = Image.parse(container.get("image").asText());
                        if (!image.name().equals(name)) continue;
                        Image changed = new Image(spec.path("newName").asText(image.name()),
                                spec.has("digest") ? null : spec.path("newTag").asText(image.tag()),
                                spec.has("digest") ? spec.get("digest").asText() : image.digest());
                        container.set("image", TextNode.valueOf(changed.toString()));
                    }
                }
            }
        }
    }

    /** An image reference: name (with registry and port), tag, digest. */
    record Image(String name, String tag, String digest) {
        static Image parse(String ref) {
            String digest = null;
            int at = ref.indexOf('@');
            if (at >= 0) {
                digest = ref.substring(at + 1);
                ref = ref.substring(0, at);
            }
            int colon = ref.lastIndexOf(':');
            if (colon > ref.lastIndexOf('/')) return new Image(ref.substring(0, colon), ref.substring(colon + 1), digest);
            return new Image(ref, null, digest);
        }

        @Override
        public String toString() {
            return name + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
        }
    }

    private static void onlyFields(ObjectNode node, Set<String> known, Path dir, String what) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new IllegalArgumentException(dir + ": " + what + " uses '" + f + "', which this build does not implement (it knows " + known + ")");
            }
        }
    }

    private static ArrayNode list(ObjectNode k, String field, Path dir) {
        JsonNode n = k.get(field);
        if (n == null || n.isNull()) return YAML.createArrayNode();
        if (!n.isArray()) throw new IllegalArgumentException(dir + ": '" + field + "' must be a list");
        return (ArrayNode) n;
    }

    /** Every non-empty YAML document of a file. */
    static List<ObjectNode> readDocuments(Path file) {
        List<ObjectNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc == null || doc.isNull() || doc.isMissingNode()) continue;
                if (!(doc instanceof ObjectNode o)) throw new IllegalArgumentException(file + ": a document is not a mapping");
                docs.add(o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        return docs;
    }
}
