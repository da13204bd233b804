package dev.rill.cli.attack;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the README promises about limits, checked as a client sees it: a WebSocket message over the
 * hard limit (1 MiB) closes the connection (a message of 2 MiB in four fragments with 1009; one
 * frame of 1.5 MiB at once); an HTTP body over 1 MB gets 413 in the OpenAI error shape (declared, and
 * chunked); {@code max_completion_tokens} caps a completion; a JSON endpoint refuses a body that is
 * not declared {@code application/json} (so no web page can post to it from a visitor's browser).
 */
public final class DocumentedLimits implements Attack {

    @Override
    public String name() {
        return "limits as documented (oversized frames and bodies, max_completion_tokens, Content-Type)";
    }

    @Override
    public Result run(Target target) throws Exception {
        List<String> bad = new ArrayList<>();
        int sent = 0;
        // A message that grows past 1 MiB in fragments is closed with 1009; a single frame announcing more than
        // 1 MiB is cut off by the frame decoder before a byte of it is read (Vert.x drops the connection, no close frame).
        sent += 2;
        String fragments = oversizedMessage(target, true), frame = oversizedMessage(target, false);
        if (!fragments.equals("closed with code 1009")) bad.add("2 MiB message in fragments: " + fragments);
        if (!frame.startsWith("closed") && !frame.startsWith("connection ended")) bad.add("1.5 MiB frame: " + frame);
        byte[] big = new byte[2_000_000];
        Arrays.fill(big, (byte) ' ');
        big[0] = '{';
        big[big.length - 1] = '}';
        HttpResponse<String> r = send(target, "/v1/completions", "application/json", HttpRequest.BodyPublishers.ofByteArray(big));
        sent++;
        if (r.statusCode() != 413 || !r.body().contains("\"error\":{")) bad.add("2 MB body: " + r.statusCode() + " " + abbreviate(r.body()));
        // Chunked: no Content-Length to refuse up front.
        r = send(target, "/v1/completions", "application/json", HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)));
        sent++;
        if (r.statusCode() != 413 || !r.body().contains("\"error\":{")) bad.add("2 MB chunked body: " + r.statusCode() + " " + abbreviate(r.body()));
        r = send(target, "/v1/completions", "application/json",
                HttpRequest.BodyPublishers.ofString("{\"prompt\":\"First\",\"max_completion_tokens\":3,\"sampling\":{\"chain\":[\"dist\"]}}"));
        sent++;
        if (r.statusCode() != 200 || !r.body().matches("(?s).*\"completion_tokens\":[0-3][,}].*")) {
            bad.add("max_completion_tokens 3: " + r.statusCode() + " " + abbreviate(r.body()));
        }
        for (String type : new String[]{"text/plain", "application/x-www-form-urlencoded", null}) {
            r = send(target, "/v1/completions", type, HttpRequest.BodyPublishers.ofString("{\"prompt\":\"First\",\"max_tokens\":1}"));
            sent++;
            if (r.statusCode() != 415 || !r.body().contains("\"error\":{")) bad.add("Content-Type " + type + ": " + r.statusCode() + " " + abbreviate(r.body()));
        }
        // Every other endpoint that takes a body: a page's text/plain post is refused there too (an upload is a file, but not text/plain).
        for (String path : new String[]{"/v1/chat/completions", "/v1/embeddings", "/api/train", "/api/train/files?name=page.txt"}) {
            r = send(target, path, "text/plain", HttpRequest.BodyPublishers.ofString("{\"prompt\":\"First\"}"));
            sent++;
            if (r.statusCode() != 415 || !r.body().contains("\"error\":{")) bad.add(path + " with text/plain: " + r.statusCode() + " " + abbreviate(r.body()));
        }
        return new Result(sent, bad.isEmpty(), bad.isEmpty()
                ? "1009 close for messages over 1 MiB; 413 JSON for bodies over 1 MB (declared or chunked); max_completion_tokens honoured; 415 JSON unless application/json (chat, completions, embeddings, training)"
                : String.join("; ", bad));
    }

    private static HttpResponse<String> send(Target target, String path, String contentType, HttpRequest.BodyPublisher body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = target.request(path).POST(body);
        if (contentType != null) b.header("Content-Type", contentType);
        return target.attackerHttp().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends a message over 1 MiB and reads until the connection ends: "closed with code N", or what came instead. */
    static String oversizedMessage(Target target, boolean fragmented) throws IOException {
        try (RawSocket ws = target.connect(30_000)) {
            RawSocket.Head head = ws.upgrade(target.base(), "/ws/chat", target.authorizationHeader());
            if (head.status() != 101) return "handshake refused: HTTP " + head.status();
            byte[] chunk = new byte[fragmented ? 512 << 10 : 1536 << 10];
            Arrays.fill(chunk, (byte) 'a');
            // Written on another thread: the server answers (and closes) while the message is still arriving.
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    if (fragmented) {
                        for (int i = 0; i < 4; i++) ws.writeFragment(i == 0 ? 1 : 0, i == 3, chunk);
                    } else {
                        ws.writeFrame(1, false, chunk);
                    }
                } catch (IOException e) {
                    // closed by the server mid-message
                }
            });
            try {
                RawSocket.Frame f = ws.readFrame();
                if (f.opcode() == 8) return "closed with code " + f.closeCode();
                if (f.opcode() == -1) return "connection ended without a close frame";
                return "answered " + abbreviate(f.text()) + " and stayed open";
            } finally {
                writer.interrupt();
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "...";
    }
}
