package dev.rill.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-level alphabet: each of the 256 byte values is written as one printable character,
 * so that a vocabulary of byte sequences can be stored as JSON strings. Printable Latin-1 bytes
 * ({@code !..~}, {@code ¡..¬}, {@code ®..ÿ}) stand for themselves; the other 68 bytes are given the
 * characters U+0100 onwards, in byte order (so the space byte is {@code Ġ}).
 */
final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF;
            char c = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** The character that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte character {@code c} stands for, or -1 if it is not in the byte-level alphabet. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The byte-level string of raw bytes. */
    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /**
     * The bytes a vocabulary string stands for. A string with a character outside the byte-level
     * alphabet is taken as plain text (its UTF-8 bytes), as Hugging Face's ByteLevel decoder does.
     */
    static byte[] decode(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return token.getBytes(StandardCharsets.UTF_8);
            out.write(b);
        }
        return out.toByteArray();
    }

    /** Whether every character of {@code token} belongs to the byte-level alphabet. */
    static boolean isByteLevel(String token) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) return false;
        }
        return true;
    }
}
