package dev.rill.cli.attack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A client connection that writes exactly the bytes it is told to: what an attacker's client sends
 * (a body slower than its {@code Content-Length}, a WebSocket frame with RSV1 set, a connection
 * dropped mid-stream), which well-behaved client libraries cannot be made to send.
 */
public final class RawSocket implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** The status code and headers (lower-case names) of the response read by {@link #readHead}. */
    public record Head(int status, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A WebSocket frame as received ({@code opcode} -1: the connection ended). */
    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The status code of a close frame (1005 when it has none). */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }
    }

    public RawSocket(URI base, int timeoutMs) throws IOException {
        this(base, null, timeoutMs);
    }

    /** @param from the local address to connect from ({@code null}: any), so that an attacker can be another client */
    public RawSocket(URI base, InetAddress from, int timeoutMs) throws IOException {
        socket = new Socket();
        if (from != null) socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress(base.getHost(), port(base)), timeoutMs);
        socket.setSoTimeout(timeoutMs);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    static int port(URI base) {
        return base.getPort() >= 0 ? base.getPort() : 80;
    }

    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public void write(String ascii) throws IOException {
        write(ascii.getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes that can be read without waiting. */
    public int available() throws IOException {
        return in.available();
    }

    public void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** Reads a response's status line and headers. */
    public Head readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0d0a0d0a) {
            int b = in.read();
            if (b < 0) throw new IOException("the server closed the connection before answering");
            head.write(b);
            last4 = (last4 << 8) | b;
            if (head.size() > 65536) throw new IOException("response head over 64 KiB");
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2) throw new IOException("not an HTTP response: " + lines[0]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        return new Head(Integer.parseInt(status[1]), headers);
    }

    /** Reads a body of {@code Content-Length} bytes, or until the connection ends when there is none. */
    public String readBody(Head head) throws IOException {
        String length = head.header("content-length");
        if (length != null) return new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8);
        if ("chunked".equalsIgnoreCase(head.header("transfer-encoding"))) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String size = line();
                int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (n == 0) {
                    line();
                    return body.toString(StandardCharsets.UTF_8);
                }
                body.write(in.readNBytes(n));
                line();
            }
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = in.read()) >= 0 && b != '\n'; ) if (b != '\r') sb.append((char) b);
        return sb.toString();
    }

    /** One byte, or -1 when the server closed the connection (or reset it). */
    public int read() throws IOException {
        try {
            return in.read();
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            return -1;   // reset by the server
        }
    }

    /** Sends a WebSocket upgrade request for {@code path} with extra header lines and reads the answer. */
    public Head upgrade(URI base, String path, String extraHeaders) throws IOException {
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        write("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + port(base) + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n");
        return readHead();
    }

    /** Writes one masked client frame, FIN set; {@code rsv1} marks it compressed (permessage-deflate). */
    public void writeFrame(int opcode, boolean rsv1, byte[] payload) throws IOException {
        write(true, opcode, rsv1, payload);
    }

    /** One fragment of a message: opcode 1 (text) for the first, 0 (continuation) after; {@code fin} on the last. */
    public void writeFragment(int opcode, boolean fin, byte[] payload) throws IOException {
        write(fin, opcode, false, payload);
    }

    private void write(boolean fin, int opcode, boolean rsv1, byte[] payload) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(14);
        head.write((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
        if (payload.length < 126) {
            head.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            head.write(0x80 | 126);
            head.write(payload.length >>> 8);
            head.write(payload.length);
        } else {
            head.write(0x80 | 127);
            for (int s = 56; s >= 0; s -= 8) head.write((int) ((long) payload.length >>> s));
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        head.write(mask, 0, 4);
        out.write(head.toByteArray());
        byte[] masked = new byte[Math.min(payload.length, 1 << 16)];
        for (int off = 0; off < payload.length; off += masked.length) {
            int n = Math.min(masked.length, payload.length - off);
            for (int i = 0; i < n; i++) masked[i] = (byte) (payload[off + i] ^ mask[(off + i) & 3]);
            out.write(masked, 0, n);
        }
        out.flush();
    }

    public void writeText(String text) throws IOException {
        writeFrame(1, false, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads one server frame (unmasked); opcode -1 when the connection ended first. */
    public Frame readFrame() throws IOException {
        int b0 = read();
        if (b0 < 0) return new Frame(-1, new byte[0]);
        int b1 = read();
        if (b1 < 0) return new Frame(-1, new byte[0]);
        long length = b1 & 0x7f;
        if (length == 126) length = ((long) in.read() << 8) | in.read();
        else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) length = (length << 8) | in.read();
        }
        if (length > 16 << 20) throw new IOException("a server frame of " + length + " bytes");
        byte[] payload = in.readNBytes((int) length);
        if (payload.length < length) return new Frame(-1, new byte[0]);
        return new Frame(b0 & 0x0f, payload);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
