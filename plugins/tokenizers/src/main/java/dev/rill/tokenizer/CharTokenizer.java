package dev.rill.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.io.AtomicFiles;
import dev.rill.spi.Params;
import dev.rill.spi.StreamDecoder;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.TreeSet;

/**
 * Character-level tokenizer: the vocabulary is the distinct Unicode code points of the training
 * text, sorted, plus one unknown token (last id) that every unseen character maps to.
 */
public final class CharTokenizer implements Tokenizer {

    static final String FILE = "char-vocab.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "char";
    }

    @Override
    public String description() {
        return "one token per Unicode code point of the training text, plus an unknown token";
    }

    @Override
    public boolean trainable() {
        return true;
    }

    @Override
    public String fileName() {
        return FILE;
    }

    @Override
    public Vocabulary train(String text, Params params) {
        if (text == null || text.isEmpty()) throw new IllegalArgumentException("cannot fit a char vocabulary on empty text");
        TreeSet<Integer> cps = new TreeSet<>();
        text.codePoints().forEach(cps::add);
        return new CharVocabulary(cps.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public Vocabulary load(Path file, Params params) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (java.io.FileNotFoundException e) {
            throw new NoSuchFileException(file.toString());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !"char".equals(root.path("type").asText()) || !root.path("chars").isArray()) {
            throw new IllegalArgumentException(file + " is not a char vocabulary (expected {\"type\":\"char\",\"chars\":[...]})");
        }
        LinkedHashSet<Integer> cps = new LinkedHashSet<>();
        for (JsonNode n : root.get("chars")) {
            String s = n.asText();
            if (s.codePointCount(0, s.length()) != 1) throw new IllegalArgumentException(file + ": entry " + n + " is not one character");
            if (!cps.add(s.codePointAt(0))) throw new IllegalArgumentException(file + ": character " + n + " appears twice");
        }
        if (cps.isEmpty()) throw new IllegalArgumentException(file + ": empty vocabulary");
        return new CharVocabulary(cps.stream().mapToInt(Integer::intValue).toArray());
    }

    static final class CharVocabulary implements Vocabulary {
        private final int[] codePoints;
        private final Map<Integer, Integer> index = new HashMap<>();
        private final int unknown;

        CharVocabulary(int[] codePoints) {
            this.codePoints = codePoints;
            for (int i = 0; i < codePoints.length; i++) index.put(codePoints[i], i);
            unknown = codePoints.length;
        }

        @Override
        public String tokenizer() {
            return "char";
        }

        @Override
        public Params params() {
            return Params.EMPTY;
        }

        @Override
        public int size() {
            return codePoints.length + 1;
        }

        @Override
        public int[] encode(String text) {
            return text.codePoints().map(cp -> index.getOrDefault(cp, unknown)).toArray();
        }

        @Override
        public String decode(int[] ids) {
            StringBuilder sb = new StringBuilder(ids.length);
            for (int id : ids) sb.append(piece(id));
            return sb.toString();
        }

        @Override
        public String piece(int id) {
            if (id < 0 || id > unknown) throw new IllegalArgumentException("token " + id + " outside the vocabulary [0, " + size() + ")");
            return id == unknown ? "\uFFFD" : Character.toString(codePoints[id]);
        }

        @Override
        public byte[] tokenBytes(int id) {
            return piece(id).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        public StreamDecoder streamDecoder() {
            return new StreamDecoder() {
                @Override
                public String push(int tokenId) {
                    return piece(tokenId);
                }

                @Override
                public String flush() {
                    return "";
                }
            };
        }

        @Override
        public void save(Path file) throws IOException {
            ObjectNode root = JSON.createObjectNode();
            root.put("type", "char");
            root.put("unknown", "id " + unknown + " (the last) stands for every character not listed");
            ArrayNode chars = root.putArray("chars");
            for (int cp : codePoints) chars.add(Character.toString(cp));
            AtomicFiles.writeBytes(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        }
    }
}
