package dev.rill.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pulls GGUF files from the Hugging Face Hub (or a mirror) into the {@link ModelCache}: lists the
 * repository ({@code /api/models/OWNER/REPO/tree/REVISION?recursive=true}, following {@code Link}
 * pages), picks the file, downloads it from {@code /OWNER/REPO/resolve/REVISION/PATH} into a
 * {@code .part} file (resuming one left by an interrupted pull with an HTTP {@code Range}), checks
 * its size and SHA-256 against the listing's LFS metadata (a small non-LFS file: its git blob id),
 * and renames it into place. Redirects are followed by hand so that the token is only ever sent to
 * the endpoint's own host, not to the storage it redirects to.
 */
public final class Hub {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private static final Pattern SPLIT = Pattern.compile("-\\d{5}-of-(\\d{5})\\.gguf$");
    /** Quantizations tried, in order, when a reference names none (llama.cpp's default first). */
    static final List<String> PREFERRED = List.of("Q4_K_M", "Q4_K_S", "Q5_K_M", "Q8_0", "Q6_K", "Q4_0", "F16", "BF16", "F32");
    public static final String REVISION = "main";

    /**
     * Where to pull from and to.
     *
     * @param endpoint the Hub's base URL ({@code HF_ENDPOINT}, default {@code https://huggingface.co})
     * @param token    an access token for gated and private repositories, or {@code null}
     * @param cache    where models are kept
     * @param offline  never touch the network ({@code HF_HUB_OFFLINE=1}): only cached models resolve
     */
    public record Settings(URI endpoint, String token, ModelCache cache, boolean offline) {

        /**
         * From the environment, as {@code huggingface_hub} reads it: {@code HF_ENDPOINT}, {@code HF_TOKEN}
         * (else the token file {@code HF_TOKEN_PATH}, else {@code $HF_HOME/token}, else
         * {@code ~/.cache/huggingface/token}), {@code HF_HUB_OFFLINE}; the cache from {@code RILL_MODELS}
         * and XDG (see {@link ModelCache}).
         */
        public static Settings fromEnvironment(Map<String, String> env, String userHome) {
            String endpoint = env.getOrDefault("HF_ENDPOINT", "");
            if (endpoint.isBlank()) endpoint = "https://huggingface.co";
            String token = env.get("HF_TOKEN");
            if (token == null || token.isBlank()) token = tokenFile(env, userHome);
            String off = env.getOrDefault("HF_HUB_OFFLINE", "");
            boolean offline = off.equals("1") || off.equalsIgnoreCase("true") || off.equalsIgnoreCase("yes");
            return new Settings(URI.create(endpoint.replaceAll("/+$", "")), token == null || token.isBlank() ? null : token.trim(),
                    new ModelCache(ModelCache.defaultRoot(env, userHome)), offline);
        }

        private static String tokenFile(Map<String, String> env, String userHome) {
            String path = env.get("HF_TOKEN_PATH");
            if (path == null || path.isBlank()) {
                String home = env.get("HF_HOME");
                path = home != null && !home.isBlank() ? Path.of(home, "token").toString()
                        : Path.of(userHome, ".cache", "huggingface", "token").toString();
            }
            try {
                Path p = Path.of(path);
                return Files.isRegularFile(p) ? Files.readString(p).trim() : null;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    /** What a pull reports as it goes (on the pulling thread). */
    public interface Progress {
        Progress NONE = new Progress() {
        };

        /** A download starts: {@code total} bytes, of which {@code resumed} were already there. */
        default void started(String name, long total, long resumed) {
        }

        /** {@code done} bytes of the file are there now. */
        default void advanced(long done) {
        }

        /** The download ended; {@code checked} says what was verified. */
        default void finished(String checked) {
        }
    }

    /**
     * A file of a repository, as the tree listing gives it.
     *
     * @param sha256 the SHA-256 of the content (LFS files), or {@code null}
     * @param gitOid the git blob id (SHA-1 of the blob; the check for small non-LFS files)
     */
    public record RemoteFile(String path, long size, String sha256, String gitOid) {
    }

    private final Settings settings;
    private final HttpClient http;

    public Hub(Settings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(30)).build();
    }

    public Settings settings() {
        return settings;
    }

    /**
     * The local file for {@code ref}: from the cache when it is there, else downloaded.
     *
     * @throws IOException with one line saying what failed (not found, gated, checksum, network)
     */
    public Path pull(HubRef ref, Progress progress) throws IOException {
        Optional<Path> cached = cached(ref);
        if (cached.isPresent()) return cached.get();
        if (settings.offline()) {
            throw new IOException(ref + " is not in the model cache " + settings.cache().root() + " and HF_HUB_OFFLINE is set");
        }
        RemoteFile file = choose(ref, files(ref.repo()));
        return download(ref.repo(), file, progress);
    }

    /** The cached file for {@code ref}, without touching the network. */
    public Optional<Path> cached(HubRef ref) {
        if (ref.file() != null) {
            Path p = settings.cache().fileOf(ref.repo(), ref.file());
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        }
        List<Path> found = settings.cache().quantFiles(ref.repo(), ref.quant());
        if (found.isEmpty()) return Optional.empty();
        if (ref.quant() == null) {
            for (String q : PREFERRED) {
                for (Path p : found) if (HubRef.isQuant(p.getFileName().toString(), q)) return Optional.of(p);
            }
        }
        return Optional.of(found.getFirst());
    }

    /** The files of a repository at {@link #REVISION}. */
    public List<RemoteFile> files(String repo) throws IOException {
        List<RemoteFile> out = new ArrayList<>();
        URI next = settings.endpoint().resolve("/api/models/" + repo + "/tree/" + REVISION + "?recursive=true");
        for (int page = 0; next != null && page < 1000; page++) {
            HttpResponse<InputStream> r = send(get(next), "the file list of " + repo);
            JsonNode list;
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) throw failure(r.statusCode(), "repository " + repo, repo);
                list = JSON.readTree(in);
            }
            if (list == null || !list.isArray()) throw new IOException("the Hub's file list of " + repo + " is not a JSON array");
            for (JsonNode e : list) {
                if (!"file".equals(e.path("type").asText())) continue;
                JsonNode lfs = e.get("lfs");
                out.add(new RemoteFile(e.path("path").asText(), e.path("size").asLong(-1),
                        lfs != null && lfs.hasNonNull("oid") ? lfs.get("oid").asText() : null, e.path("oid").asText(null)));
            }
            next = r.headers().firstValue("Link").map(NEXT_LINK::matcher).filter(Matcher::find).map(m -> next(m.group(1))).orElse(null);
        }
        return out;
    }

    private URI next(String link) {
        return settings.endpoint().resolve(link);
    }

    /** The file {@code ref} names among {@code files}. */
    static RemoteFile choose(HubRef ref, List<RemoteFile> files) {
        List<RemoteFile> gguf = files.stream().filter(f -> f.path().toLowerCase(Locale.ROOT).endsWith(".gguf")).toList();
        if (ref.file() != null) {
            return files.stream().filter(f -> f.path().equals(ref.file())).findFirst().orElseThrow(() -> new IllegalArgumentException(
                    "repository " + ref.repo() + " has no file " + ref.file() + "; its GGUF files: " + names(gguf)));
        }
        // Multimodal projectors are GGUF files too, but not a model to chat with.
        List<RemoteFile> models = gguf.stream().filter(f -> !f.path().toLowerCase(Locale.ROOT).contains("mmproj")).toList();
        if (models.isEmpty()) throw new IllegalArgumentException("repository " + ref.repo() + " has no GGUF file; Rill pulls GGUF models");
        List<RemoteFile> matching;
        if (ref.quant() != null) {
            matching = models.stream().filter(f -> HubRef.isQuant(f.path(), ref.quant())).toList();
            if (matching.isEmpty()) {
                throw new IllegalArgumentException("repository " + ref.repo() + " has no " + ref.quant() + " file; its GGUF files: " + names(models));
            }
        } else {
            matching = models;
            for (String q : PREFERRED) {
                List<RemoteFile> m = models.stream().filter(f -> HubRef.isQuant(f.path(), q)).toList();
                if (!m.isEmpty()) {
                    matching = m;
                    break;
                }
            }
        }
        RemoteFile best = matching.stream().sorted(Comparator.comparing((RemoteFile f) -> SPLIT.matcher(f.path()).find())
                .thenComparing(RemoteFile::path)).findFirst().orElseThrow();
        Matcher split = SPLIT.matcher(best.path());
        if (split.find()) {
            throw new IllegalArgumentException(best.path() + " is split into " + Integer.parseInt(split.group(1))
                    + " parts; Rill loads single-file GGUF models: pick another quantization or merge the parts with llama-gguf-split --merge");
        }
        return best;
    }

    private static String names(List<RemoteFile> files) {
        if (files.isEmpty()) return "none";
        List<String> n = files.stream().map(RemoteFile::path).limit(20).toList();
        return String.join(", ", n) + (files.size() > 20 ? ", ..." : "");
    }

    /** Downloads (or resumes) {@code file} of {@code repo} into the cache and returns its path. */
    public Path download(String repo, RemoteFile file, Progress progress) throws IOException {
        Path target = settings.cache().fileOf(repo, file.path());
        Path part = settings.cache().partialOf(target);
        Files.createDirectories(target.getParent());
        String name = repo + "/" + file.path();
        try {
            return download(name, uri(repo, file), file, target, part, progress);
        } catch (IOException | RuntimeException e) {
            // Leave no empty partial file behind a download that never started.
            if (Files.isRegularFile(part) && Files.size(part) == 0) Files.deleteIfExists(part);
            throw e;
        }
    }

    private URI uri(String repo, RemoteFile file) {
        return settings.endpoint().resolve("/" + repo + "/resolve/" + REVISION + "/" + encodePath(file.path()));
    }

    private Path download(String name, URI uri, RemoteFile file, Path target, Path part, Progress progress) throws IOException {
        String repo = name.substring(0, name.length() - file.path().length() - 1);
        try (FileChannel lockChannel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = tryLock(lockChannel, name)) {
            long have = Files.size(part);
            if (file.size() >= 0 && have > file.size()) {
                lockChannel.truncate(0);   // not a prefix of this file
                have = 0;
            }
            MessageDigest digest = digest(file);
            if (have > 0) hashPrefix(part, have, digest);
            if (file.size() < 0 || have < file.size()) {
                HttpRequest.Builder req = get(uri);
                if (have > 0) req.header("Range", "bytes=" + have + "-");
                HttpResponse<InputStream> r = send(req, name);
                try (InputStream in = r.body()) {
                    int status = r.statusCode();
                    if (status == 206 && have > 0) {
                        String range = r.headers().firstValue("Content-Range").orElse("");
                        if (!range.startsWith("bytes " + have + "-")) throw new IOException("the server resumed " + name + " at the wrong place (" + range + ")");
                    } else if (status == 200) {
                        if (have > 0) {   // the server ignored the range: start over
                            lockChannel.truncate(0);
                            have = 0;
                            digest = digest(file);
                        }
                    } else if (status == 416 && have > 0) {
                        throw new IOException("the server refused to resume " + name + " at byte " + have + "; run `rill models rm " + name + "` and pull again");
                    } else {
                        throw failure(status, "file " + name, repo);
                    }
                    progress.started(name, file.size(), have);
                    have = copy(in, part, have, digest, progress);
                }
            } else {
                progress.started(name, file.size(), have);
            }
            if (file.size() >= 0 && have != file.size()) {
                throw new IOException("the download of " + name + " ended at " + have + " of " + file.size() + " bytes; run the pull again to resume it");
            }
            String got = HexFormat.of().formatHex(digest.digest());
            String want = file.sha256() != null ? file.sha256() : file.gitOid();
            if (want != null && !want.equalsIgnoreCase(got)) {
                lockChannel.truncate(0);
                Files.deleteIfExists(part);
                throw new IOException("checksum mismatch for " + name + ": the Hub says " + (file.sha256() != null ? "SHA-256 " : "git blob id ")
                        + want + ", the download has " + got + "; the partial file was removed, pull again");
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            progress.finished(want == null ? "size checked (the Hub gave no checksum)"
                    : file.sha256() != null ? "SHA-256 " + got.substring(0, 12) + "… verified" : "git blob id " + got.substring(0, 12) + "… verified");
            return target;
        }
    }

    private static FileLock tryLock(FileChannel channel, String name) throws IOException {
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) return lock;
        } catch (OverlappingFileLockException e) {
            // another thread of this process holds it
        }
        throw new IOException("another pull of " + name + " is running; wait for it to finish");
    }

    /** A download that receives nothing for this long is given up (the bytes so far are kept for a resume). */
    static final Duration STALL = Duration.ofSeconds(120);

    private static long copy(InputStream in, Path part, long have, MessageDigest digest, Progress progress) throws IOException {
        AtomicLong lastBytes = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean(), done = new AtomicBoolean();
        // The client's timeout covers the response headers only: a watchdog ends a body that stops flowing.
        Thread watchdog = Thread.ofVirtual().start(() -> {
            while (!done.get()) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                if (System.nanoTime() - lastBytes.get() > STALL.toNanos()) {
                    stalled.set(true);
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // closing is all we wanted
                    }
                    return;
                }
            }
        });
        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            byte[] buf = new byte[1 << 16];
            long lastReport = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                digest.update(buf, 0, n);
                have += n;
                long now = System.nanoTime();
                lastBytes.set(now);
                if (now - lastReport > 100_000_000L) {
                    progress.advanced(have);
                    lastReport = now;
                }
            }
        } catch (IOException e) {
            if (stalled.get()) throw new IOException("no data arrived for " + STALL.toSeconds() + " s; pull again to resume", e);
            throw new IOException("the connection broke after " + have + " bytes (" + e.getMessage() + "); pull again to resume", e);
        } finally {
            done.set(true);
            watchdog.interrupt();
        }
        progress.advanced(have);
        return have;
    }

    private static void hashPrefix(Path part, long bytes, MessageDigest digest) throws IOException {
        try (InputStream in = Files.newInputStream(part)) {
            byte[] buf = new byte[1 << 16];
            long left = bytes;
            for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; left -= n) digest.update(buf, 0, n);
        }
    }

    /** SHA-256 for LFS files; for small files, git's blob id (SHA-1 of "blob SIZE\0" and the content). */
    private static MessageDigest digest(RemoteFile file) {
        try {
            if (file.sha256() != null || file.gitOid() == null || file.size() < 0) return MessageDigest.getInstance("SHA-256");
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + file.size() + "\0").getBytes(StandardCharsets.US_ASCII));
            return sha1;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String encodePath(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) parts.add(URLEncoder.encode(p, StandardCharsets.UTF_8).replace("+", "%20"));
        return String.join("/", parts);
    }

    private HttpRequest.Builder get(URI uri) {
        return HttpRequest.newBuilder(uri).GET().header("User-Agent", "rill/0.1.0").timeout(Duration.ofMinutes(10));
    }

    /** Sends a GET, following up to 10 redirects; the token goes only to the endpoint's host. */
    private HttpResponse<InputStream> send(HttpRequest.Builder builder, String what) throws IOException {
        HttpRequest first = builder.build();
        URI uri = first.uri();
        for (int hop = 0; hop <= 10; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().timeout(Duration.ofMinutes(10));
            first.headers().map().forEach((k, vs) -> {
                if (!k.equalsIgnoreCase("Authorization")) vs.forEach(v -> b.header(k, v));
            });
            if (settings.token() != null && sameHost(uri, settings.endpoint())) b.header("Authorization", "Bearer " + settings.token());
            HttpResponse<InputStream> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while fetching " + what);
            } catch (ConnectException e) {
                throw new IOException("cannot reach " + settings.endpoint() + " for " + what + " (" + e.getClass().getSimpleName()
                        + "); check the network or HF_ENDPOINT", e);
            }
            int s = r.statusCode();
            if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                String location = r.headers().firstValue("Location").orElseThrow(() -> new IOException("a redirect without Location for " + what));
                r.body().close();
                uri = uri.resolve(location);
                continue;
            }
            return r;
        }
        throw new IOException("too many redirects fetching " + what);
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort()
                && String.valueOf(a.getScheme()).equalsIgnoreCase(String.valueOf(b.getScheme()));
    }

    private IOException failure(int status, String what, String repo) {
        String page = settings.endpoint() + "/" + repo;
        return new IOException(switch (status) {
            case 401 -> what + " needs authentication (HTTP 401): the repository is gated or private, or does not exist; "
                    + (settings.token() == null ? "set HF_TOKEN to an access token (" + settings.endpoint() + "/settings/tokens)"
                    : "the HF_TOKEN given was refused") + " and accept the model's terms at " + page;
            case 403 -> what + " is not accessible with this token (HTTP 403): request access at " + page;
            case 404 -> what + " was not found on " + settings.endpoint() + " (HTTP 404)";
            case 429 -> what + ": the Hub is rate-limiting requests (HTTP 429); try again later"
                    + (settings.token() == null ? " or set HF_TOKEN" : "");
            default -> what + ": the Hub answered HTTP " + status;
        });
    }
}
