package dev.rill.gguf;

import dev.rill.spi.Tensor.DType;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The tensor element types GGML defines, with their ids in GGUF files and block sizes. Only some
 * map to a {@link DType} Rill computes with; the others are listed so that an error can name them.
 */
public enum GgmlType {
    F32(0, 1, 4, DType.F32),
    F16(1, 1, 2, DType.F16),
    Q4_0(2, 32, 18, DType.Q4_0),
    Q4_1(3, 32, 20, null),
    Q5_0(6, 32, 22, null),
    Q5_1(7, 32, 24, null),
    Q8_0(8, 32, 34, DType.Q8_0),
    Q8_1(9, 32, 36, null),
    Q2_K(10, 256, 84, null),
    Q3_K(11, 256, 110, null),
    Q4_K(12, 256, 144, DType.Q4_K),
    Q5_K(13, 256, 176, DType.Q5_K),
    Q6_K(14, 256, 210, DType.Q6_K),
    Q8_K(15, 256, 292, null),
    IQ2_XXS(16, 256, 66, null),
    IQ2_XS(17, 256, 74, null),
    IQ3_XXS(18, 256, 98, null),
    IQ1_S(19, 256, 50, null),
    IQ4_NL(20, 32, 18, null),
    IQ3_S(21, 256, 110, null),
    IQ2_S(22, 256, 82, null),
    IQ4_XS(23, 256, 136, null),
    I8(24, 1, 1, null),
    I16(25, 1, 2, null),
    I32(26, 1, 4, null),
    I64(27, 1, 8, null),
    F64(28, 1, 8, null),
    IQ1_M(29, 256, 56, null),
    BF16(30, 1, 2, DType.BF16),
    TQ1_0(34, 256, 54, null),
    TQ2_0(35, 256, 66, null),
    MXFP4(39, 32, 17, null);

    /** The id stored in a GGUF tensor info. */
    public final int id;
    /** Elements per block (1 for plain types). */
    public final int blockSize;
    /** Bytes per block. */
    public final int blockBytes;
    /** What Rill computes this type as, or {@code null} when it cannot. */
    public final DType dtype;

    GgmlType(int id, int blockSize, int blockBytes, DType dtype) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.dtype = dtype;
    }

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    /** The type with this id, or {@code null} for an id GGML does not define (or no longer uses). */
    public static GgmlType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** The GGML type Rill writes for a {@link DType}. */
    public static GgmlType of(DType dtype) {
        for (GgmlType t : values()) if (t.dtype == dtype) return t;
        throw new IllegalArgumentException("no GGML type for " + dtype);
    }

    public boolean supported() {
        return dtype != null;
    }

    /** Bytes of {@code n} elements; {@code n} must be a whole number of blocks. */
    public long bytes(long n) {
        return n / blockSize * blockBytes;
    }

    /** The names of the types Rill can load, for error messages. */
    public static String supportedNames() {
        return Arrays.stream(values()).filter(GgmlType::supported).map(Enum::name).collect(Collectors.joining(", "));
    }
}
