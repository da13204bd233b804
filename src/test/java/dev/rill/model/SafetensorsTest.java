package dev.rill.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsNamesShapesValuesAndMetadata() throws IOException {
        float[] a = {1f, -2.5f, Float.MIN_VALUE, 3.25e7f, -0f, 7f};
        float[] big = new float[40_000];
        for (int i = 0; i < big.length; i++) big[i] = (float) Math.sin(i);
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, List.of(new Safetensors.Entry("x.weight", new int[]{2, 3}, a),
                new Safetensors.Entry("y", new int[]{200, 200}, big)), Map.of("format", "pt"));
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals(List.of("x.weight", "y"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new int[]{2, 3}, c.tensors().get("x.weight").shape());
        assertArrayEquals(a, c.tensors().get("x.weight").data());
        assertArrayEquals(big, c.tensors().get("y").data());
        assertEquals("pt", c.metadata().get("format"));
        // The header length is a multiple of 8 so the data starts aligned, as the format recommends.
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8);
    }

    @Test
    void readsF16AndBf16() throws IOException {
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]}}";
        ByteBuffer data = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort(Float.floatToFloat16(1.5f)).putShort(Float.floatToFloat16(-2f));
        data.putShort((short) (Float.floatToIntBits(3.0f) >>> 16));
        Path f = write(header, data.array());
        Safetensors.Contents c = Safetensors.read(f);
        assertArrayEquals(new float[]{1.5f, -2f}, c.tensors().get("h").data());
        assertArrayEquals(new float[]{3f}, c.tensors().get("b").data());
    }

    @Test
    void truncatedOrCorruptFilesFailWithTheReason() throws IOException {
        Path good = dir.resolve("g.safetensors");
        Safetensors.write(good, List.of(new Safetensors.Entry("w", new int[]{4, 4}, new float[16])), Map.of());
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("t.safetensors");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 10));
        assertMessage(truncated, "truncated");

        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[]{1, 2, 3});
        assertMessage(tiny, "shorter than the 8-byte header");

        Path hugeHeader = dir.resolve("h.safetensors");
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(hugeHeader, copy);
        assertMessage(hugeHeader, "header length");

        assertMessage(write("{not json", new byte[0]), "not valid JSON");
        assertMessage(write("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]), "dtype I64");
        assertMessage(write("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]), "8 bytes for shape");
        assertMessage(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]), "overlap");
    }

    private Path write(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).put(data);
        Path f = Files.createTempFile(dir, "x", ".safetensors");
        Files.write(f, buf.array());
        return f;
    }

    private static void assertMessage(Path f, String fragment) {
        var e = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
