package dev.rill.sampler.grammar;

import dev.rill.spi.Params;
import dev.rill.spi.StreamDecoder;
import dev.rill.spi.Vocabulary;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A vocabulary for grammar tests, given as token byte strings: control tokens (no bytes), an end
 * token, byte tokens that split multi-byte characters, whole characters and multi-character pieces.
 */
final class TestVocabulary implements Vocabulary {

    final List<byte[]> tokens;
    final Set<Integer> ends;
    final Set<Integer> controls;

    TestVocabulary(List<byte[]> tokens, Set<Integer> ends, Set<Integer> controls) {
        this.tokens = tokens;
        this.ends = ends;
        this.controls = controls;
    }

    /**
     * Byte-level: ids 0 (BOS, control) and 1 (EOS), then all 256 single bytes, then whole characters
     * and pieces useful to JSON, ASCII and not ("é", "日本", an emoji, "\"}" ...).
     */
    static TestVocabulary byteLevel() {
        List<byte[]> t = new ArrayList<>();
        t.add(null);                 // 0: <s>
        t.add("</s>".getBytes(StandardCharsets.UTF_8)); // 1: end token
        for (int b = 0; b < 256; b++) t.add(new byte[]{(byte) b});
        for (String s : List.of("{\"", "\":", "\",", "\"}", "\"]", "[\"", "\": \"", "\", \"", "true", "false", "null", "nul",
                "tr", "ue", "12", "3.5", "e+1", "-0", ", ", ": ", "\n  ", "\n", "  ", "é", "日本", "語", "😀", "ab", "cd", "name",
                "\"name\"", "age", "ok", "\\n", "\\u00e9", "[]", "{}", "[{", "}]", "}}", "]]", "x\"", "é\"")) {
            t.add(s.getBytes(StandardCharsets.UTF_8));
        }
        // Pieces that end or start inside a character: the first two bytes of 日 and of 😀, and their rests.
        byte[] ri = "日".getBytes(StandardCharsets.UTF_8);
        byte[] smile = "😀".getBytes(StandardCharsets.UTF_8);
        t.add(new byte[]{'a', ri[0], ri[1]});
        t.add(new byte[]{ri[2], '"'});
        t.add(new byte[]{smile[0], smile[1]});
        t.add(new byte[]{smile[2], smile[3], 'x'});
        return new TestVocabulary(t, Set.of(1), Set.of(0));
    }

    /** Like a character-level model's: one token per character of {@code chars}, plus an unknown token, no end token. */
    static TestVocabulary characters(String chars) {
        List<byte[]> t = new ArrayList<>();
        chars.codePoints().forEach(cp -> t.add(Character.toString(cp).getBytes(StandardCharsets.UTF_8)));
        t.add("\uFFFD".getBytes(StandardCharsets.UTF_8));
        return new TestVocabulary(t, Set.of(), Set.of());
    }

    String text(int[] ids, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            if (ends.contains(ids[i])) continue;
            byte[] b = tokenBytes(ids[i]);
            if (b != null) out.writeBytes(b);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= tokens.size()) throw new IllegalArgumentException("token " + id + " outside the vocabulary");
        return controls.contains(id) || ends.contains(id) || tokens.get(id) == null ? null : tokens.get(id).clone();
    }

    @Override
    public Set<Integer> endTokens() {
        return ends;
    }

    @Override
    public String tokenizer() {
        return "test";
    }

    @Override
    public Params params() {
        return Params.EMPTY;
    }

    @Override
    public int size() {
        return tokens.size();
    }

    @Override
    public int[] encode(String text) {
        throw new UnsupportedOperationException();
    }

    @Override
    public String decode(int[] ids) {
        return text(ids, 0, ids.length);
    }

    @Override
    public StreamDecoder streamDecoder() {
        throw new UnsupportedOperationException();
    }

    @Override
    public String piece(int id) {
        byte[] b = tokenBytes(id);
        return b == null ? "<control " + id + ">" : new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return Map.of();
    }

    @Override
    public void save(Path file) {
        throw new UnsupportedOperationException();
    }
}
