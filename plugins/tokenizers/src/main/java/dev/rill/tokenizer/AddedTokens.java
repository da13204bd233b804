package dev.rill.tokenizer;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens (special tokens such as {@code <|endoftext|>}, and a vocabulary's other
 * added tokens such as Qwen's {@code <think>}) in text: at each position the longest one that
 * starts there, scanning left to right, as Hugging Face's tokenizers and Tokenizers.js do.
 * Special tokens are found only when the caller allows them; non-special added tokens always.
 */
final class AddedTokens {

    /** One added token, with the flags of tokenizer.json's {@code added_tokens}. */
    record Token(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
                 boolean normalized) {
    }

    /** Receives the text between added tokens and the added tokens found. */
    interface Sink {
        void text(String text);

        void token(Token token);
    }

    private final List<Token> tokens;
    private final Trie raw;
    private final Trie rawNoSpecial;
    private final Trie normalized;
    private final Trie normalizedNoSpecial;

    /**
     * @param normalizer how tokens flagged {@code normalized} are themselves normalized before they
     *                   are looked for in normalized text
     */
    AddedTokens(List<Token> tokens, Normalizer normalizer) {
        this.tokens = List.copyOf(tokens);
        raw = new Trie();
        rawNoSpecial = new Trie();
        normalized = new Trie();
        normalizedNoSpecial = new Trie();
        for (Token t : tokens) {
            boolean afterNormalizing = t.normalized() && !normalizer.isNone();
            String content = afterNormalizing ? normalizer.apply(t.content()) : t.content();
            (afterNormalizing ? normalized : raw).add(content, t);
            if (!t.special()) (afterNormalizing ? normalizedNoSpecial : rawNoSpecial).add(content, t);
        }
    }

    List<Token> all() {
        return tokens;
    }

    boolean hasNormalized() {
        return !normalized.isEmpty();
    }

    /** Splits raw text at the added tokens that are matched before normalization. */
    void splitRaw(String text, boolean allowSpecial, Sink sink) {
        split(text, allowSpecial ? raw : rawNoSpecial, sink);
    }

    /** Splits normalized text at the added tokens that are matched after normalization. */
    void splitNormalized(String text, boolean allowSpecial, Sink sink) {
        split(text, allowSpecial ? normalized : normalizedNoSpecial, sink);
    }

    private static void split(String text, Trie trie, Sink sink) {
        if (trie.isEmpty()) {
            if (!text.isEmpty()) sink.text(text);
            return;
        }
        int n = text.length();
        int start = 0;
        boolean stripNext = false; // the previous token strips the whitespace after it (rstrip)
        int i = 0;
        while (i < n) {
            if (!trie.firstChars.get(text.charAt(i))) {
                i++;
                continue;
            }
            Token found = trie.longestAt(text, i);
            if (found == null) {
                i++;
                continue;
            }
            String before = text.substring(start, i);
            if (stripNext) before = stripLeading(before);
            if (found.lstrip()) before = stripTrailing(before);
            if (!before.isEmpty()) sink.text(before);
            sink.token(found);
            i += trie.lengthOf(found);
            start = i;
            stripNext = found.rstrip();
        }
        String rest = text.substring(start);
        if (stripNext) rest = stripLeading(rest);
        if (!rest.isEmpty()) sink.text(rest);
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return s.substring(i);
    }

    private static String stripTrailing(String s) {
        int i = s.length();
        while (i > 0 && Character.isWhitespace(s.charAt(i - 1))) i--;
        return s.substring(0, i);
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_' || Character.getType(cp) == Character.NON_SPACING_MARK;
    }

    /** A character trie over token contents. */
    private static final class Trie {
        private final Node root = new Node();
        private final BitSet firstChars = new BitSet(1 << 16);
        private final Map<Token, Integer> lengths = new HashMap<>();

        void add(String content, Token t) {
            if (content.isEmpty()) return;
            Node node = root;
            for (int k = 0; k < content.length(); k++) node = node.next.computeIfAbsent(content.charAt(k), c -> new Node());
            node.token = t;
            firstChars.set(content.charAt(0));
            lengths.put(t, content.length());
        }

        boolean isEmpty() {
            return lengths.isEmpty();
        }

        int lengthOf(Token t) {
            return lengths.get(t);
        }

        /** The longest token starting at {@code from} (single-word tokens only where they stand alone). */
        Token longestAt(String text, int from) {
            Node node = root;
            Token best = null;
            for (int k = from; k < text.length(); k++) {
                node = node.next.get(text.charAt(k));
                if (node == null) break;
                Token t = node.token;
                if (t != null && (!t.singleWord() || standsAlone(text, from, k + 1))) best = t;
            }
            return best;
        }

        private static boolean standsAlone(String text, int from, int to) {
            boolean leftOk = from == 0 || !isWordChar(text.codePointBefore(from));
            boolean rightOk = to == text.length() || !isWordChar(text.codePointAt(to));
            return leftOk && rightOk;
        }
    }

    private static final class Node {
        final Map<Character, Node> next = new HashMap<>(4);
        Token token;
    }
}
