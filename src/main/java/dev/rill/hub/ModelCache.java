package dev.rill.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The folder pulled models live in: {@code $RILL_MODELS}, else {@code $XDG_CACHE_HOME/rill/models},
 * else {@code ~/.cache/rill/models}. A file {@code PATH} of repository {@code OWNER/REPO} is kept at
 * {@code OWNER/REPO/PATH}; while it downloads it is {@code PATH.part} beside it, renamed into place
 * only once its size and SHA-256 are checked, so a file under its own name is always complete.
 */
public final class ModelCache {

    /** Suffix of a download in progress (or interrupted: it resumes from there). */
    public static final String PARTIAL = ".part";

    private final Path root;

    public ModelCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The cache folder the environment names (see the class comment). */
    public static Path defaultRoot(Map<String, String> env, String userHome) {
        String models = env.get("RILL_MODELS");
        if (models != null && !models.isBlank()) return Path.of(models);
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "rill", "models");
        return Path.of(userHome, ".cache", "rill", "models");
    }

    public Path root() {
        return root;
    }

    /** Where file {@code path} of {@code repo} is kept. */
    public Path fileOf(String repo, String path) {
        Path p = root.resolve(repo).resolve(path).normalize();
        if (!p.startsWith(root)) throw new IllegalArgumentException("'" + repo + "/" + path + "' points outside the model cache");
        return p;
    }

    public Path partialOf(Path file) {
        return file.resolveSibling(file.getFileName() + PARTIAL);
    }

    /**
     * A cached model.
     *
     * @param name     {@code OWNER/REPO/PATH}
     * @param file     where it is
     * @param bytes    its size (so far, for a partial download)
     * @param partial  whether it is a download that has not finished
     * @param modified when it was last written
     */
    public record Entry(String name, Path file, long bytes, boolean partial, Instant modified) {
    }

    /** Every cached model file and unfinished download, by name. */
    public List<Entry> list() {
        if (!Files.isDirectory(root)) return List.of();
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (rel.split("/").length < 3) continue;   // OWNER/REPO/FILE at least
                boolean partial = rel.endsWith(PARTIAL);
                String name = partial ? rel.substring(0, rel.length() - PARTIAL.length()) : rel;
                if (!name.endsWith(".gguf")) continue;
                out.add(new Entry(name, p, Files.size(p), partial, Files.getLastModifiedTime(p).toInstant()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Cached files of a repository whose name is the quantization {@code quant} (complete ones only). */
    public List<Path> quantFiles(String repo, String quant) {
        String prefix = repo + "/";
        List<Path> out = new ArrayList<>();
        for (Entry e : list()) {
            if (!e.partial() && e.name().startsWith(prefix) && (quant == null || HubRef.isQuant(e.name(), quant))) out.add(e.file());
        }
        return out;
    }

    /**
     * Removes {@code name}: a file ({@code OWNER/REPO/PATH.gguf}), every file of a quantization
     * ({@code OWNER/REPO:QUANT}) or a whole repository ({@code OWNER/REPO}), partial downloads included.
     *
     * @return what was removed
     * @throws IllegalArgumentException if nothing in the cache has that name
     */
    public List<String> remove(String name) throws IOException {
        HubRef ref = HubRef.parse(name).orElseThrow(() -> new IllegalArgumentException("'" + name
                + "' is not a model name; write OWNER/REPO, OWNER/REPO:QUANT or OWNER/REPO/FILE.gguf (see `rill models`)"));
        List<String> removed = new ArrayList<>();
        for (Entry e : list()) {
            boolean hit = ref.file() != null ? e.name().equals(ref.repo() + "/" + ref.file())
                    : e.name().startsWith(ref.repo() + "/") && (ref.quant() == null || HubRef.isQuant(e.name(), ref.quant()));
            if (hit) {
                Files.deleteIfExists(e.file());
                removed.add(e.name() + (e.partial() ? " (partial)" : ""));
            }
        }
        if (removed.isEmpty()) throw new IllegalArgumentException("no cached model '" + name + "' in " + root + " (see `rill models`)");
        pruneEmpty(root.resolve(ref.repo()));
        return removed;
    }

    /** Removes empty folders from {@code dir} up to (not including) the cache root. */
    private void pruneEmpty(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isDirectory).sorted(Comparator.reverseOrder())::iterator) {
                try (Stream<Path> inside = Files.list(p)) {
                    if (inside.findAny().isEmpty()) Files.delete(p);
                }
            }
        }
        Path owner = dir.getParent();
        if (owner != null && !owner.equals(root) && Files.isDirectory(owner)) {
            try (Stream<Path> inside = Files.list(owner)) {
                if (inside.findAny().isEmpty()) Files.delete(owner);
            }
        }
    }
}
