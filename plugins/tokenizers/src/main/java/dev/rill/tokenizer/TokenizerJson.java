package dev.rill.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.rill.io.AtomicFiles;
import dev.rill.spi.Params;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and writes Hugging Face {@code tokenizer.json} files whose model is a byte-level BPE:
 * GPT-2, Llama 3, Qwen 2/3, GPT-4o and the vocabularies Rill's {@code bpe} trains. Supported
 * parts: normalizers NFC/NFD/NFKC/NFKD/Lowercase/Sequence; pre-tokenizers Split (regex or string,
 * every behavior, invert), ByteLevel and Sequence; decoder ByteLevel; merges as {@code "a b"}
 * strings or {@code ["a", "b"]} pairs; {@code ignore_merges}; added tokens with their flags.
 * Anything else is refused with an error naming it. The post-processor (which adds BOS/EOS in
 * some files) is kept when saving but not applied: {@code encode} returns the text's tokens only.
 */
final class TokenizerJson {

    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final int MAX_ID = 1 << 24;

    /**
     * The content of a tokenizer.json that Rill uses and writes back.
     *
     * @param vocab      the model's token strings by id ({@code null} where the model has none)
     * @param mergeLeft  left token id of each merge, by rank
     * @param mergeRight right token id of each merge, by rank
     * @param mergeResult the token each merge makes, by rank
     */
    record Model(String[] vocab, int[] mergeLeft, int[] mergeRight, int[] mergeResult, boolean ignoreMerges, String unkToken,
                 List<AddedTokens.Token> added, JsonNode normalizer, JsonNode preTokenizer, JsonNode postProcessor,
                 JsonNode decoder) {

        /** Ids run from 0 to the largest id of a model token or added token. */
        int size() {
            int max = vocab.length - 1;
            for (AddedTokens.Token t : added) max = Math.max(max, t.id());
            return max + 1;
        }
    }

    private TokenizerJson() {
    }

    /**
     * Parses and checks a tokenizer.json file. The vocabulary and merges (most of a 10 MB file)
     * are read with the streaming parser; the small parts as trees.
     *
     * @throws IOException              when it cannot be read
     * @throws IllegalArgumentException naming the file and what is malformed or unsupported
     */
    static Model read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        try (JsonParser p = JSON.getFactory().createParser(file.toFile())) {
            return parse(p);
        } catch (JacksonException e) {
            var loc = e.getLocation();
            throw new IllegalArgumentException(file + " is not valid JSON" + (loc == null ? "" : " (line " + loc.getLineNr()
                    + ", column " + loc.getColumnNr() + ")") + ": " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static Model parse(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("not a JSON object; expected a Hugging Face tokenizer.json");
        }
        Map<String, JsonNode> parts = new HashMap<>();
        Map<String, JsonNode> modelFields = new HashMap<>();
        Map<String, Integer> ids = null;
        List<String[]> mergeStrings = null;
        boolean hasModel = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (!name.equals("model")) {
                parts.put(name, p.readValueAsTree());
                continue;
            }
            if (value != JsonToken.START_OBJECT) throw new IllegalArgumentException("\"model\" is not an object");
            hasModel = true;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "vocab" -> ids = readVocab(p);
                    case "merges" -> mergeStrings = readMergeStrings(p);
                    default -> modelFields.put(field, p.readValueAsTree());
                }
            }
        }
        if (!hasModel) throw new IllegalArgumentException("has no \"model\" object; expected a Hugging Face tokenizer.json");
        checkModel(modelFields);
        if (ids == null) throw new IllegalArgumentException("model.vocab is missing");
        if (ids.isEmpty()) throw new IllegalArgumentException("model.vocab is empty");
        if (mergeStrings == null) throw new IllegalArgumentException("model.merges is missing");
        int maxId = -1;
        for (int id : ids.values()) maxId = Math.max(maxId, id);
        String[] vocab = new String[maxId + 1];
        for (var e : ids.entrySet()) {
            String other = vocab[e.getValue()];
            if (other != null) {
                throw new IllegalArgumentException("model.vocab: tokens " + quote(other) + " and " + quote(e.getKey())
                        + " both have id " + e.getValue());
            }
            vocab[e.getValue()] = e.getKey();
        }

        Set<String> strings = ids.keySet();
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(ByteLevel.charOf(b));
            if (canOccurInUtf8(b) && !strings.contains(c)) {
                throw new IllegalArgumentException("model.vocab has no token for byte 0x" + String.format("%02X", b) + " ("
                        + quote(c) + "): not a byte-level vocabulary");
            }
        }
        List<AddedTokens.Token> added = readAddedTokens(parts.get("added_tokens"), vocab);
        int[][] merges = resolveMerges(mergeStrings, ids);

        JsonNode normalizer = nullToNull(parts.get("normalizer"));
        JsonNode preTokenizer = nullToNull(parts.get("pre_tokenizer"));
        JsonNode decoder = nullToNull(parts.get("decoder"));
        normalizer(normalizer); // validate now, so that a bad file fails at load
        if (!hasByteLevel(preTokenizer)) {
            throw new IllegalArgumentException("pre_tokenizer " + (preTokenizer == null ? "null" : describe(preTokenizer))
                    + " has no ByteLevel step: not a byte-level BPE; hf loads byte-level BPE models (GPT-2, Llama 3, Qwen 2/3, GPT-4o)");
        }
        preTokenizer(preTokenizer);
        if (decoder != null && !"ByteLevel".equals(decoder.path("type").asText())) {
            throw new IllegalArgumentException("decoder " + describe(decoder) + " is not supported; expected ByteLevel or null");
        }
        JsonNode unk = modelFields.get("unk_token");
        return new Model(vocab, merges[0], merges[1], merges[2], modelFields.containsKey("ignore_merges")
                && modelFields.get("ignore_merges").asBoolean(false), unk == null || unk.isNull() ? null : unk.asText(),
                added, normalizer, preTokenizer, nullToNull(parts.get("post_processor")), decoder);
    }

    private static void checkModel(Map<String, JsonNode> model) {
        String type = model.containsKey("type") ? model.get("type").asText() : "BPE";
        if (!type.equals("BPE")) {
            throw new IllegalArgumentException("model type '" + type + "' is not supported; hf loads byte-level BPE models "
                    + "(GPT-2, Llama 3, Qwen 2/3, GPT-4o families)");
        }
        JsonNode dropout = model.get("dropout");
        if (dropout != null && !dropout.isNull() && dropout.asDouble() != 0) {
            throw new IllegalArgumentException("BPE dropout " + dropout + " is not supported (encoding would be random); expected null");
        }
        for (String affix : new String[]{"continuing_subword_prefix", "end_of_word_suffix"}) {
            JsonNode v = model.get(affix);
            if (v != null && !v.isNull() && !v.asText().isEmpty()) {
                throw new IllegalArgumentException("model." + affix + " " + v + " is not supported; byte-level BPE has none");
            }
        }
        if (model.containsKey("byte_fallback") && model.get("byte_fallback").asBoolean(false)) {
            throw new IllegalArgumentException("model.byte_fallback is true: that is a SentencePiece-style BPE, not byte-level; "
                    + "hf loads byte-level BPE models");
        }
    }

    private static JsonNode nullToNull(JsonNode n) {
        return n == null || n.isNull() ? null : n;
    }

    private static String describe(JsonNode n) {
        return n.has("type") ? "'" + n.get("type").asText() + "'" : n.toString();
    }

    private static Map<String, Integer> readVocab(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException("model.vocab is not an object of token → id");
        Map<String, Integer> ids = new HashMap<>(1 << 16);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String token = p.currentName();
            JsonToken t = p.nextToken();
            long id = t == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
            if (id < 0 || id >= MAX_ID) {
                throw new IllegalArgumentException("model.vocab: token " + quote(token) + " has id " + p.getText()
                        + "; ids must be whole numbers in [0, " + MAX_ID + ")");
            }
            ids.put(token, (int) id);
        }
        return ids;
    }

    private static List<String[]> readMergeStrings(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw new IllegalArgumentException("model.merges is not an array");
        List<String[]> out = new ArrayList<>(1 << 16);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            int rank = out.size();
            if (t == JsonToken.VALUE_STRING) {
                String m = p.getText();
                int space = m.indexOf(' ');
                if (space <= 0 || space == m.length() - 1 || m.indexOf(' ', space + 1) >= 0) {
                    throw new IllegalArgumentException("model.merges[" + rank + "] " + quote(m) + " is not two tokens separated by one space");
                }
                out.add(new String[]{m.substring(0, space), m.substring(space + 1)});
            } else if (t == JsonToken.START_ARRAY) {
                String a = p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                String b = a != null && p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                if (b == null || p.nextToken() != JsonToken.END_ARRAY) {
                    throw new IllegalArgumentException("model.merges[" + rank + "] is not a pair of token strings [\"a\", \"b\"]");
                }
                out.add(new String[]{a, b});
            } else {
                throw new IllegalArgumentException("model.merges[" + rank + "] " + p.getText() + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
        }
        return out;
    }

    private static List<AddedTokens.Token> readAddedTokens(JsonNode node, String[] vocab) {
        List<AddedTokens.Token> out = new ArrayList<>();
        if (node == null || node.isNull()) return out;
        if (!node.isArray()) throw new IllegalArgumentException("added_tokens is not an array");
        Set<String> contents = new HashSet<>();
        Map<Integer, String> ids = new HashMap<>();
        int k = 0;
        for (JsonNode t : node) {
            String where = "added_tokens[" + k++ + "]";
            if (!t.isObject() || !t.path("id").isIntegralNumber() || !t.path("content").isTextual()) {
                throw new IllegalArgumentException(where + " " + t + " needs an integer \"id\" and a string \"content\"");
            }
            long id = t.get("id").asLong();
            String content = t.get("content").asText();
            if (id < 0 || id >= MAX_ID) throw new IllegalArgumentException(where + ": id " + id + " is outside [0, " + MAX_ID + ")");
            if (content.isEmpty()) throw new IllegalArgumentException(where + " (id " + id + ") has empty content");
            if (!contents.add(content)) throw new IllegalArgumentException("added token " + quote(content) + " is listed twice");
            String other = ids.put((int) id, content);
            if (other != null) {
                throw new IllegalArgumentException("added tokens " + quote(other) + " and " + quote(content) + " both have id " + id);
            }
            if (id < vocab.length && vocab[(int) id] != null && !vocab[(int) id].equals(content)) {
                throw new IllegalArgumentException("added token " + quote(content) + " has id " + id + ", which model.vocab gives to "
                        + quote(vocab[(int) id]));
            }
            boolean special = t.path("special").asBoolean(false);
            out.add(new AddedTokens.Token((int) id, content, special, t.path("single_word").asBoolean(false),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("normalized").asBoolean(!special)));
        }
        return out;
    }

    /** Token ids of each merge's left and right parts and of the token it makes, by rank. */
    private static int[][] resolveMerges(List<String[]> merges, Map<String, Integer> ids) {
        int n = merges.size();
        int[] left = new int[n];
        int[] right = new int[n];
        int[] result = new int[n];
        for (int rank = 0; rank < n; rank++) {
            String a = merges.get(rank)[0];
            String b = merges.get(rank)[1];
            Integer ia = ids.get(a);
            Integer ib = ids.get(b);
            Integer merged = ids.get(a + b);
            String unknown = ia == null ? a : ib == null ? b : null;
            if (unknown != null) {
                throw new IllegalArgumentException("model.merges[" + rank + "] (" + quote(a) + ", " + quote(b) + ") names "
                        + quote(unknown) + ", which is not in model.vocab");
            }
            if (merged == null) {
                throw new IllegalArgumentException("model.merges[" + rank + "] (" + quote(a) + ", " + quote(b) + ") makes "
                        + quote(a + b) + ", which is not in model.vocab");
            }
            left[rank] = ia;
            right[rank] = ib;
            result[rank] = merged;
        }
        return new int[][]{left, right, result};
    }

    private static boolean hasByteLevel(JsonNode pre) {
        if (pre == null) return false;
        String type = pre.path("type").asText();
        if (type.equals("ByteLevel")) return true;
        if (type.equals("Sequence")) {
            for (JsonNode step : pre.path("pretokenizers")) if (hasByteLevel(step)) return true;
        }
        return false;
    }

    static Normalizer normalizer(JsonNode node) {
        if (node == null) return Normalizer.NONE;
        List<Normalizer.Step> steps = new ArrayList<>();
        addNormalizer(node, steps);
        return new Normalizer(steps);
    }

    private static void addNormalizer(JsonNode node, List<Normalizer.Step> steps) {
        String type = node.path("type").asText();
        switch (type) {
            case "NFC" -> steps.add(Normalizer.Step.NFC);
            case "NFD" -> steps.add(Normalizer.Step.NFD);
            case "NFKC" -> steps.add(Normalizer.Step.NFKC);
            case "NFKD" -> steps.add(Normalizer.Step.NFKD);
            case "Lowercase" -> steps.add(Normalizer.Step.LOWERCASE);
            case "Sequence" -> {
                for (JsonNode n : node.path("normalizers")) addNormalizer(n, steps);
            }
            default -> throw new IllegalArgumentException("normalizer " + describe(node)
                    + " is not supported; accepted: NFC, NFD, NFKC, NFKD, Lowercase, Sequence of these, or null");
        }
    }

    static PreTokenizer preTokenizer(JsonNode node) {
        String type = node.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> PreTokenizer.ByteLevelSplit.of(node.path("add_prefix_space").asBoolean(false),
                    node.path("use_regex").asBoolean(true));
            case "Split" -> {
                JsonNode pattern = node.path("pattern");
                Pattern compiled;
                String source;
                if (pattern.path("Regex").isTextual()) {
                    source = pattern.get("Regex").asText();
                    compiled = OnigRegex.compile(source);
                } else if (pattern.path("String").isTextual()) {
                    source = pattern.get("String").asText();
                    compiled = Pattern.compile(Pattern.quote(source));
                } else {
                    throw new IllegalArgumentException("Split pre-tokenizer has no pattern {\"Regex\": ...} or {\"String\": ...}: " + pattern);
                }
                yield new PreTokenizer.Split(compiled, source, PreTokenizer.Behavior.of(node.path("behavior").asText("Isolated")),
                        node.path("invert").asBoolean(false));
            }
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonNode n : node.path("pretokenizers")) steps.add(preTokenizer(n));
                yield new PreTokenizer.Sequence(steps);
            }
            default -> throw new IllegalArgumentException("pre-tokenizer " + describe(node)
                    + " is not supported; accepted for byte-level BPE: Split, ByteLevel, Sequence");
        };
    }

    /**
     * Builds the vocabulary a {@link Model} describes (checked by {@link #read} or made by the trainer).
     */
    static BpeVocabulary vocabulary(Model m, String tokenizer, Params params) {
        int size = m.size();
        byte[][] tokenBytes = new byte[size][];
        BytesTable whole = m.ignoreMerges() ? new BytesTable(m.vocab().length) : null;
        int[] byteTokens = new int[256];
        java.util.Arrays.fill(byteTokens, -1);
        for (int id = 0; id < m.vocab().length; id++) {
            String s = m.vocab()[id];
            if (s == null) continue;
            tokenBytes[id] = ByteLevel.decode(s);
            if (s.length() == 1 && ByteLevel.byteOf(s.charAt(0)) >= 0) byteTokens[ByteLevel.byteOf(s.charAt(0))] = id;
            if (whole != null) whole.putIfAbsent(tokenBytes[id], id);
        }
        for (AddedTokens.Token t : m.added()) tokenBytes[t.id()] = t.content().getBytes(StandardCharsets.UTF_8);
        LongLongMap merges = new LongLongMap(m.mergeLeft().length);
        for (int rank = 0; rank < m.mergeLeft().length; rank++) {
            // A pair listed twice keeps its last rank, as Hugging Face's tokenizers and Tokenizers.js do.
            merges.put(LongLongMap.pair(m.mergeLeft()[rank], m.mergeRight()[rank]), (long) rank << 32 | m.mergeResult()[rank]);
        }
        Normalizer normalizer = normalizer(m.normalizer());
        return new BpeVocabulary(tokenizer, params, tokenBytes, new AddedTokens(m.added(), normalizer), normalizer,
                preTokenizer(m.preTokenizer()), new BytePairEncoder(byteTokens, merges, whole), file -> write(m, file));
    }

    /** Whether byte {@code b} can appear in well-formed UTF-8 (C0, C1 and F5..FF cannot). */
    static boolean canOccurInUtf8(int b) {
        return !(b == 0xC0 || b == 0xC1 || b >= 0xF5);
    }

    /** Writes {@code m} as a tokenizer.json that Hugging Face's tokenizers and Tokenizers.js load. */
    static void write(Model m, Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            JsonGenerator g = JSON.getFactory().createGenerator(out);
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            g.writeStartObject();
            g.writeStringField("version", "1.0");
            g.writeNullField("truncation");
            g.writeNullField("padding");
            g.writeArrayFieldStart("added_tokens");
            for (AddedTokens.Token t : m.added()) {
                g.writeStartObject();
                g.writeNumberField("id", t.id());
                g.writeStringField("content", t.content());
                g.writeBooleanField("single_word", t.singleWord());
                g.writeBooleanField("lstrip", t.lstrip());
                g.writeBooleanField("rstrip", t.rstrip());
                g.writeBooleanField("normalized", t.normalized());
                g.writeBooleanField("special", t.special());
                g.writeEndObject();
            }
            g.writeEndArray();
            for (var part : new Object[][]{{"normalizer", m.normalizer()}, {"pre_tokenizer", m.preTokenizer()},
                    {"post_processor", m.postProcessor()}, {"decoder", m.decoder()}}) {
                g.writeFieldName((String) part[0]);
                g.writeTree(part[1] == null ? NullNode.getInstance() : (JsonNode) part[1]);
            }
            g.writeObjectFieldStart("model");
            g.writeStringField("type", "BPE");
            g.writeNullField("dropout");
            if (m.unkToken() == null) g.writeNullField("unk_token");
            else g.writeStringField("unk_token", m.unkToken());
            g.writeNullField("continuing_subword_prefix");
            g.writeNullField("end_of_word_suffix");
            g.writeBooleanField("fuse_unk", false);
            g.writeBooleanField("byte_fallback", false);
            g.writeBooleanField("ignore_merges", m.ignoreMerges());
            g.writeObjectFieldStart("vocab");
            for (int id = 0; id < m.vocab().length; id++) if (m.vocab()[id] != null) g.writeNumberField(m.vocab()[id], id);
            g.writeEndObject();
            g.writeArrayFieldStart("merges");
            for (int r = 0; r < m.mergeLeft().length; r++) {
                g.writeStartArray();
                g.writeString(m.vocab()[m.mergeLeft()[r]]);
                g.writeString(m.vocab()[m.mergeRight()[r]]);
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
            g.flush();
        });
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F) sb.append(String.format("\\u%04X", cp));
            else sb.appendCodePoint(cp);
        });
        return sb.append('\'').toString();
    }
}
