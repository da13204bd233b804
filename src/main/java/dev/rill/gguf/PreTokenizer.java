package dev.rill.gguf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The split of text into pieces that byte-level BPE merges within, as named by GGUF's
 * {@code tokenizer.ggml.pre}. Some pre-tokenizers are a sequence of regexes, each splitting the
 * pieces of the one before; text a regex does not match stays a piece of its own (as llama.cpp does).
 * Patterns use Unicode {@code \s} (Java's is ASCII-only without {@link Pattern#UNICODE_CHARACTER_CLASS}).
 */
public record PreTokenizer(String name, List<Pattern> patterns) {

    private static final String LLAMA3 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Pre-tokenizer names (as llama.cpp's converter writes them) → regex sequence. */
    private static final Map<String, List<String>> KNOWN = new LinkedHashMap<>();

    static {
        for (String n : List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "smaug-bpe", "dbrx")) KNOWN.put(n, List.of(LLAMA3));
        for (String n : List.of("qwen2", "deepseek-r1-qwen", "stablelm2", "megrez")) KNOWN.put(n, List.of(QWEN2));
        for (String n : List.of("gpt-2", "gpt2", "default", "mpt", "olmo", "jais", "phi-2")) KNOWN.put(n, List.of(GPT2));
        for (String n : List.of("smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva")) {
            KNOWN.put(n, List.of("\\p{N}", GPT2));
        }
    }

    /**
     * The pre-tokenizer named {@code name}; a missing name ({@code null}) means GPT-2's.
     *
     * @throws GgufException for a name Rill does not know, listing the known ones
     */
    public static PreTokenizer named(String name) {
        String key = name == null ? "default" : name;
        List<String> regexes = KNOWN.get(key);
        if (regexes == null) {
            throw new GgufException("pre-tokenizer '" + name + "' (tokenizer.ggml.pre) is not supported; supported: " + String.join(", ", KNOWN.keySet()));
        }
        return new PreTokenizer(key, regexes.stream().map(r -> Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS)).toList());
    }

    public static List<String> names() {
        return List.copyOf(KNOWN.keySet());
    }

    /** The pieces of {@code text}, in order; their concatenation is {@code text}. */
    public List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Pattern p : patterns) {
            List<String> next = new ArrayList<>();
            for (String piece : pieces) splitOne(p, piece, next);
            pieces = next;
        }
        return pieces;
    }

    private static void splitOne(Pattern p, String text, List<String> out) {
        Matcher m = p.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) out.add(text.substring(last, m.start()));
            if (m.end() > m.start()) out.add(m.group());
            last = m.end();
        }
        if (last < text.length()) out.add(text.substring(last));
    }
}
