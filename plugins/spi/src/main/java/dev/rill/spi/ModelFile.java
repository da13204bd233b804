package dev.rill.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A model file's metadata and tensors, as a GGUF file holds them: keys and tensor names follow
 * llama.cpp's conventions ({@code general.architecture}, {@code llama.embedding_length},
 * {@code tokenizer.ggml.tokens}, {@code blk.0.attn_q.weight}, ...). What a model family reads to
 * describe a model, and a tokenizer to build a vocabulary, without knowing the file format.
 * Getters without a default fail with a {@link ModelFileException} naming the file and the key.
 */
public interface ModelFile {

    /** Where the file is (for messages). */
    Path path();

    boolean has(String key);

    String getString(String key);

    String getString(String key, String orElse);

    long getLong(String key);

    long getLong(String key, long orElse);

    /** An integer value that must fit an int and be at least {@code min}. */
    int getInt(String key, int min);

    int getInt(String key, int min, int orElse);

    double getDouble(String key);

    double getDouble(String key, double orElse);

    boolean getBool(String key, boolean orElse);

    /** Whether the value under {@code key} is an array (e.g. per-layer head counts). */
    boolean isArray(String key);

    List<String> getStrings(String key);

    float[] getFloats(String key);

    int[] getInts(String key);

    /** The names of every tensor. */
    Set<String> tensorNames();

    default boolean hasTensor(String name) {
        return tensorNames().contains(name);
    }

    /** A tensor's dimensions, innermost first (GGUF's {@code ne}: a matrix {@code (rows, cols)} is {@code [cols, rows]}). */
    long[] tensorDims(String name);

    /** The tensor as a matrix of {@code dims[0]} columns, in its stored type. */
    Tensor tensor(String name);

    /** An error about this file: the message prefixed with the file's name. */
    default ModelFileException error(String message) {
        return new ModelFileException(path() + ": " + message);
    }
}
