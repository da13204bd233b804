package dev.rill.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.io.AtomicFiles;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian data. Reads F32, F16 and BF16
 * (converted to float32); writes F32.
 */
public final class Safetensors {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {
    }

    /** One tensor: name, shape and float32 values. */
    public record Entry(String name, int[] shape, float[] data, int offset, int length) {
        public Entry(String name, int[] shape, float[] data) {
            this(name, shape, data, 0, data.length);
        }
    }

    /** Writes tensors (in the given order) and string metadata atomically. */
    public static void write(Path file, List<Entry> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : tensors) {
            long n = 1;
            for (int d : e.shape()) n *= d;
            if (n != e.length()) throw new IllegalArgumentException("tensor " + e.name() + ": shape " + Arrays.toString(e.shape()) + " holds " + n + " values, given " + e.length());
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (int d : e.shape()) shape.add(d);
            var offs = t.putArray("data_offsets");
            offs.add(offset);
            offs.add(offset + 4L * e.length());
            offset += 4L * e.length();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;   // pad with spaces so data starts 8-byte aligned
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            writeFloats(out, tensors);
        });
    }

    private static void writeFloats(OutputStream out, List<Entry> tensors) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : tensors) {
            for (int i = 0; i < e.length(); i++) {
                if (buf.remaining() < 4) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                buf.putFloat(e.data()[e.offset() + i]);
            }
        }
        out.write(buf.array(), 0, buf.position());
    }

    /** What a file holds: tensors by name (in file order) and metadata. */
    public record Contents(Map<String, Entry> tensors, Map<String, String> metadata) {
    }

    /**
     * Reads every tensor as float32.
     *
     * @throws IllegalArgumentException when the file is truncated, its header is not valid, or a
     *                                  tensor's range does not fit its shape or the file
     */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw corrupt(file, "file has " + size + " bytes, shorter than the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw corrupt(file, "header length " + headerLen + " does not fit a file of " + size + " bytes (truncated or not safetensors)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                var at = e.getLocation();   // not its message: that quotes the file
                throw corrupt(file, "header is not valid JSON" + (at == null ? "" : " (column " + at.getColumnNr() + ")"));
            }
            if (header == null || !header.isObject()) throw corrupt(file, "header is not a JSON object");
            long dataStart = 8 + headerLen, dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            record Raw(String name, String dtype, int[] shape, long begin, long end) {
            }
            List<Raw> raws = new ArrayList<>();
            for (var it = header.properties().iterator(); it.hasNext(); ) {
                var field = it.next();
                if (field.getKey().equals("__metadata__")) {
                    field.getValue().properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode t = field.getValue();
                String dtype = t.path("dtype").asText("");
                JsonNode shapeNode = t.path("shape"), offs = t.path("data_offsets");
                if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
                    throw corrupt(file, "tensor " + field.getKey() + " lacks a shape or data_offsets");
                }
                int[] shape = new int[shapeNode.size()];
                long n = 1;
                for (int i = 0; i < shape.length; i++) {
                    long d = shapeNode.get(i).asLong(-1);
                    if (d < 0 || d > Integer.MAX_VALUE) throw corrupt(file, "tensor " + field.getKey() + " has a bad dimension " + shapeNode.get(i));
                    shape[i] = (int) d;
                    n *= d;
                }
                int width = switch (dtype) {
                    case "F32" -> 4;
                    case "F16", "BF16" -> 2;
                    default -> throw corrupt(file, "tensor " + field.getKey() + " has dtype " + dtype + "; supported: F32, F16, BF16");
                };
                long begin = offs.get(0).asLong(-1), end = offs.get(1).asLong(-1);
                if (begin < 0 || end < begin || end > dataSize) {
                    throw corrupt(file, "tensor " + field.getKey() + " spans bytes [" + begin + ", " + end + ") but the data holds " + dataSize + " bytes (truncated?)");
                }
                if (end - begin != n * width) {
                    throw corrupt(file, "tensor " + field.getKey() + " has " + (end - begin) + " bytes for shape " + Arrays.toString(shape) + " of " + dtype);
                }
                if (n > Integer.MAX_VALUE - 16) throw corrupt(file, "tensor " + field.getKey() + " is too large");
                raws.add(new Raw(field.getKey(), dtype, shape, begin, end));
            }
            List<Raw> sorted = new ArrayList<>(raws);
            sorted.sort(Comparator.comparingLong(Raw::begin));
            for (int i = 1; i < sorted.size(); i++) {
                if (sorted.get(i).begin() < sorted.get(i - 1).end()) {
                    throw corrupt(file, "tensors " + sorted.get(i - 1).name() + " and " + sorted.get(i).name() + " overlap");
                }
            }
            Map<String, Entry> tensors = new LinkedHashMap<>();
            for (Raw r : raws) {
                int n = (int) ((r.end() - r.begin()) / (r.dtype().equals("F32") ? 4 : 2));
                ByteBuffer data = ByteBuffer.allocate((int) (r.end() - r.begin())).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, data, dataStart + r.begin());
                data.flip();
                float[] values = new float[n];
                switch (r.dtype()) {
                    case "F32" -> data.asFloatBuffer().get(values);
                    case "F16" -> {
                        for (int i = 0; i < n; i++) values[i] = Float.float16ToFloat(data.getShort());
                    }
                    default -> {
                        for (int i = 0; i < n; i++) values[i] = Float.intBitsToFloat((data.getShort() & 0xffff) << 16);
                    }
                }
                tensors.put(r.name(), new Entry(r.name(), r.shape(), values));
            }
            return new Contents(tensors, metadata);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position);
            if (n < 0) throw new IOException("unexpected end of file");
            position += n;
        }
    }

    private static IllegalArgumentException corrupt(Path file, String why) {
        return new IllegalArgumentException(file + " is not a valid safetensors file: " + why);
    }
}
