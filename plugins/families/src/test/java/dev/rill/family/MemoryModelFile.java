package dev.rill.family;

import dev.rill.spi.F32Tensor;
import dev.rill.spi.ModelFile;
import dev.rill.spi.ModelFileException;
import dev.rill.spi.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A model file held in memory: metadata by key, float32 tensors by name (dims GGUF's way, columns first). */
final class MemoryModelFile implements ModelFile {

    final Map<String, Object> metadata = new LinkedHashMap<>();
    final Map<String, F32Tensor> tensors = new LinkedHashMap<>();

    MemoryModelFile put(String key, Object value) {
        metadata.put(key, value);
        return this;
    }

    /** A {@code rows × cols} tensor whose element (r, c) is {@code r + c / 1000}, so rows are told apart. */
    MemoryModelFile tensor(String name, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) v[r * cols + c] = r + c / 1000f;
        tensors.put(name, F32Tensor.of(v, 0, rows, cols));
        return this;
    }

    @Override
    public Path path() {
        return Path.of("memory.gguf");
    }

    @Override
    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    private Object require(String key) {
        Object v = metadata.get(key);
        if (v == null) throw new ModelFileException(path() + " has no metadata '" + key + "'");
        return v;
    }

    @Override
    public String getString(String key) {
        return (String) require(key);
    }

    @Override
    public String getString(String key, String orElse) {
        return has(key) ? getString(key) : orElse;
    }

    @Override
    public long getLong(String key) {
        return ((Number) require(key)).longValue();
    }

    @Override
    public long getLong(String key, long orElse) {
        return has(key) ? getLong(key) : orElse;
    }

    @Override
    public int getInt(String key, int min) {
        long v = getLong(key);
        if (v < min) throw error("metadata '" + key + "' is " + v + "; expected at least " + min);
        return (int) v;
    }

    @Override
    public int getInt(String key, int min, int orElse) {
        return has(key) ? getInt(key, min) : orElse;
    }

    @Override
    public double getDouble(String key) {
        return ((Number) require(key)).doubleValue();
    }

    @Override
    public double getDouble(String key, double orElse) {
        return has(key) ? getDouble(key) : orElse;
    }

    @Override
    public boolean getBool(String key, boolean orElse) {
        return has(key) ? (Boolean) require(key) : orElse;
    }

    @Override
    public boolean isArray(String key) {
        return metadata.get(key) instanceof List<?>;
    }

    @Override
    public List<String> getStrings(String key) {
        throw new UnsupportedOperationException();
    }

    @Override
    public float[] getFloats(String key) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int[] getInts(String key) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Set<String> tensorNames() {
        return tensors.keySet();
    }

    @Override
    public long[] tensorDims(String name) {
        Tensor t = tensors.get(name);
        return t.rows() == 1 ? new long[]{t.cols()} : new long[]{t.cols(), t.rows()};
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw error("no tensor '" + name + "'");
        return t;
    }
}
