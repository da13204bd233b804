package dev.rill.tokenizer;

import dev.rill.spi.StreamDecoder;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Turns byte-level tokens arriving one at a time into text. A token may end inside a multi-byte
 * UTF-8 character (an emoji is often two or three tokens); the bytes of such an unfinished
 * character are held back until a later token completes it. Bytes that no later byte can make
 * valid are emitted at once as U+FFFD, so the concatenated output always equals decoding the
 * whole sequence at once.
 */
final class Utf8StreamDecoder implements StreamDecoder {

    private final IntFunction<byte[]> bytesOf;
    private byte[] pending = new byte[16];
    private int size;

    /** @param bytesOf the bytes of a token id (throws on an id outside the vocabulary) */
    Utf8StreamDecoder(IntFunction<byte[]> bytesOf) {
        this.bytesOf = bytesOf;
    }

    @Override
    public String push(int tokenId) {
        byte[] b = bytesOf.apply(tokenId);
        if (size + b.length > pending.length) pending = Arrays.copyOf(pending, Math.max(pending.length * 2, size + b.length));
        System.arraycopy(b, 0, pending, size, b.length);
        size += b.length;
        int ready = completePrefix(pending, size);
        if (ready == 0) return "";
        String text = new String(pending, 0, ready, StandardCharsets.UTF_8);
        System.arraycopy(pending, ready, pending, 0, size - ready);
        size -= ready;
        return text;
    }

    @Override
    public String flush() {
        String text = new String(pending, 0, size, StandardCharsets.UTF_8);
        size = 0;
        return text;
    }

    /**
     * The length of the longest prefix of {@code b[0..n)} that later bytes cannot change: all of it,
     * unless it ends with the valid beginning of a multi-byte character, which is then held back.
     */
    static int completePrefix(byte[] b, int n) {
        int lead = n - 1;
        // Step back over at most three continuation bytes (10xxxxxx) to the byte that starts them.
        while (lead >= 0 && lead >= n - 3 && (b[lead] & 0xC0) == 0x80) lead--;
        if (lead < 0 || lead < n - 3 && (b[lead] & 0xC0) == 0x80) return n;
        int first = b[lead] & 0xFF;
        int length = first >= 0xC2 && first <= 0xDF ? 2 : first >= 0xE0 && first <= 0xEF ? 3 : first >= 0xF0 && first <= 0xF4 ? 4 : 1;
        int have = n - lead;
        if (have >= length) return n;
        if (have >= 2) {
            int second = b[lead + 1] & 0xFF;
            // The second byte of these leads has a narrower range (no overlongs, no surrogates, ≤ U+10FFFF).
            boolean ok = switch (first) {
                case 0xE0 -> second >= 0xA0;
                case 0xED -> second <= 0x9F;
                case 0xF0 -> second >= 0x90;
                case 0xF4 -> second <= 0x8F;
                default -> true;
            };
            if (!ok) return n;
        }
        return lead;
    }
}
