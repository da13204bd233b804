package dev.rill.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for the Hugging Face Hub with the paths Rill uses: {@code /api/models/OWNER/REPO/tree/main}
 * (two entries per page, the next page in a {@code Link} header, as the Hub paginates) and
 * {@code /OWNER/REPO/resolve/main/PATH}, which redirects to a second server standing in for the
 * storage CDN; that one honours {@code Range}. Gated repositories answer 401 without the right token.
 * Records what it was asked, to check resumes and where the token went.
 */
public final class FakeHub implements AutoCloseable {

    public static final String TOKEN = "hf_test_token";
    private static final ObjectMapper JSON = new ObjectMapper();

    public record File(String path, byte[] content, boolean lfs, String declaredSha256) {
        String sha256() {
            return declaredSha256 != null ? declaredSha256 : sha("SHA-256", content, null);
        }

        String gitOid() {
            return sha("SHA-1", content, ("blob " + content.length + "\0").getBytes());
        }
    }

    final Map<String, List<File>> repos = new ConcurrentHashMap<>();
    final Set<String> gated = ConcurrentHashMap.newKeySet();
    final List<String> ranges = new CopyOnWriteArrayList<>();
    final List<String> cdnAuthorization = new CopyOnWriteArrayList<>();
    public final AtomicInteger requests = new AtomicInteger();
    /** When positive, the CDN's next response stops after this many bytes and closes (a dropped connection). */
    volatile int cutAfter = -1;
    private final HttpServer hub, cdn;

    public FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.start();
        cdn.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    public void add(String repo, File... files) {
        repos.put(repo, new ArrayList<>(List.of(files)));
    }

    private void hub(HttpExchange x) throws IOException {
        requests.incrementAndGet();
        try (x) {
            String path = x.getRequestURI().getPath();
            if (path.startsWith("/api/models/")) {
                String rest = path.substring("/api/models/".length());
                int tree = rest.indexOf("/tree/main");
                String repo = rest.substring(0, tree);
                if (!allowed(x, repo)) return;
                List<File> files = repos.get(repo);
                int cursor = 0;
                String q = x.getRequestURI().getQuery();
                if (q != null && q.contains("cursor=")) cursor = Integer.parseInt(q.replaceAll(".*cursor=(\\d+).*", "$1"));
                List<Map<String, Object>> page = new ArrayList<>();
                if (cursor == 0) page.add(Map.of("type", "directory", "oid", "0", "size", 0, "path", "sub"));
                for (int i = cursor; i < Math.min(files.size(), cursor + 2); i++) page.add(entry(files.get(i)));
                if (cursor + 2 < files.size()) {
                    x.getResponseHeaders().add("Link", "<" + endpoint() + "/api/models/" + repo + "/tree/main?recursive=true&cursor="
                            + (cursor + 2) + ">; rel=\"next\"");
                }
                send(x, 200, JSON.writeValueAsBytes(page));
                return;
            }
            int resolve = path.indexOf("/resolve/main/");
            if (resolve > 0) {
                String repo = path.substring(1, resolve);
                String file = path.substring(resolve + "/resolve/main/".length());
                if (!allowed(x, repo)) return;
                File f = find(repo, file);
                if (f == null) {
                    send(x, 404, "{\"error\":\"Entry not found\"}".getBytes());
                    return;
                }
                x.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blobs/" + repo + "/" + file);
                x.sendResponseHeaders(302, -1);
                return;
            }
            send(x, 404, "{\"error\":\"not found\"}".getBytes());
        }
    }

    private boolean allowed(HttpExchange x, String repo) throws IOException {
        if (!repos.containsKey(repo)) {
            send(x, 401, "{\"error\":\"Repository Not Found\"}".getBytes());   // the Hub hides what it will not show
            return false;
        }
        if (gated.contains(repo) && !("Bearer " + TOKEN).equals(x.getRequestHeaders().getFirst("Authorization"))) {
            send(x, 401, ("{\"error\":\"Access to model " + repo + " is restricted.\"}").getBytes());
            return false;
        }
        return true;
    }

    private File find(String repo, String path) {
        for (File f : repos.getOrDefault(repo, List.of())) if (f.path().equals(path)) return f;
        return null;
    }

    private static Map<String, Object> entry(File f) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "file");
        e.put("oid", f.gitOid());
        e.put("size", f.content().length);
        e.put("path", f.path());
        if (f.lfs()) e.put("lfs", Map.of("oid", f.sha256(), "size", f.content().length, "pointerSize", 134));
        return e;
    }

    private void cdn(HttpExchange x) throws IOException {
        try (x) {
            String auth = x.getRequestHeaders().getFirst("Authorization");
            if (auth != null) cdnAuthorization.add(auth);
            String path = x.getRequestURI().getPath().substring("/blobs/".length());
            String[] parts = path.split("/", 3);
            File f = find(parts[0] + "/" + parts[1], parts[2]);
            if (f == null) {
                send(x, 404, new byte[0]);
                return;
            }
            String range = x.getRequestHeaders().getFirst("Range");
            int from = 0;
            if (range != null) {
                ranges.add(range);
                from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-.*", "$1"));
                x.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (f.content().length - 1) + "/" + f.content().length);
            }
            int length = f.content().length - from;
            int cut = cutAfter;
            cutAfter = -1;
            // A cut response is chunked and simply ends early, as a dropped proxy connection would look.
            x.sendResponseHeaders(range != null ? 206 : 200, cut > 0 ? 0 : length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(f.content(), from, cut > 0 ? Math.min(cut, length) : length);
            }
        }
    }

    private static void send(HttpExchange x, int status, byte[] body) throws IOException {
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(status, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    static String sha(String algorithm, byte[] content, byte[] prefix) {
        try {
            MessageDigest d = MessageDigest.getInstance(algorithm);
            if (prefix != null) d.update(prefix);
            return HexFormat.of().formatHex(d.digest(content));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
