package dev.rill.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An overlay as a user writes one with the components: dev plus models-volume and plugins-configmap. */
final class Components {

    private Components() {
    }

    /** The folder of that kustomization, written under target/ with relative paths (kustomize refuses absolute ones). */
    static Path devWithBothDir() {
        try {
            Path dir = Repo.scratch("dev-with-components");
            Files.writeString(dir.resolve("kustomization.yaml"), """
                    apiVersion: kustomize.config.k8s.io/v1beta1
                    kind: Kustomization
                    resources:
                      - %s
                    components:
                      - %s
                      - %s
                    """.formatted(rel(dir, Repo.overlay("dev")), rel(dir, Repo.k8s().resolve("components/models-volume")),
                    rel(dir, Repo.k8s().resolve("components/plugins-configmap"))));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Manifests devWithBoth() {
        return Manifests.of("dev + components", Kustomize.build(devWithBothDir()));
    }

    private static String rel(Path from, Path to) {
        return from.relativize(to).toString();
    }
}
