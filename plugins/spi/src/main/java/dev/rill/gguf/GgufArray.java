package dev.rill.gguf;

import java.util.List;

/**
 * A metadata array: its element type and elements (boxed like scalar values: Integer for 8-, 16-
 * and signed 32-bit integers, Long for UINT32 and 64-bit, Float, Double, Boolean, String, or GgufArray).
 */
public record GgufArray(GgufValueType elementType, List<Object> values) {

    public int size() {
        return values.size();
    }
}
