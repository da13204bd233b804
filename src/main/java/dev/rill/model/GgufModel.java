package dev.rill.model;

import dev.rill.gguf.GgufException;
import dev.rill.gguf.GgufFile;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Architecture;
import dev.rill.spi.ModelFamily;
import dev.rill.spi.ModelFile;
import dev.rill.spi.ModelShape;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import dev.rill.template.ChatTemplate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A model loaded from a GGUF file: the model-family plugin of its {@code general.architecture}
 * describes it (weights memory-mapped, in their stored types; the positional encodings it names,
 * resolved here), the tokenizer plugin of its {@code tokenizer.ggml.model} reads the vocabulary,
 * plus the chat template and what {@code /api/models} shows. Closing it unmaps the file.
 *
 * @param file       the open file (keeps the mapping alive)
 * @param weights    what a compute backend runs
 * @param vocabulary the tokenizer from the metadata
 * @param template   the chat template
 * @param info       architecture, quantization, context length, parameter count, ...
 */
public record GgufModel(GgufFile file, ModelWeights weights, Vocabulary vocabulary, ChatTemplate template, ModelFacts info)
        implements AutoCloseable {

    /**
     * Loads {@code path}; {@code maxContext} caps the context (≤ 0: the model's own).
     *
     * @throws IOException   when the file cannot be read
     * @throws GgufException when it is malformed or uses what Rill does not support
     */
    public static GgufModel load(Path path, PluginRegistry registry, int maxContext) throws IOException {
        GgufFile f = GgufFile.open(path);
        try {
            return load(f, registry, maxContext);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private static GgufModel load(GgufFile f, PluginRegistry registry, int maxContext) {
        String arch = f.getString("general.architecture", null);
        if (arch == null) throw new GgufException(f.path() + " has no general.architecture");
        ModelFamily family = family(f, arch, registry);
        checkBlockCount(f, arch);   // before the family makes a list per block
        ModelFamily.Description d = family.describe(f, maxContext);
        Architecture a = d.arch();
        checkSizes(f, arch, a);
        PositionalEncoder pe = encoder(registry, d.positional(), a);
        List<ModelWeights.Block> blocks = new ArrayList<>(d.blocks().size());
        for (int l = 0; l < d.blocks().size(); l++) {
            ModelFamily.Positional own = d.blockPositional().isEmpty() ? null : d.blockPositional().get(l);
            blocks.add(own == null ? d.blocks().get(l) : d.blocks().get(l).withPositional(encoder(registry, own, a)));
        }
        ModelWeights weights = new ModelWeights(a, pe, d.tokenEmbedding(), List.of(), blocks, d.finalNorm(), d.output());

        Vocabulary vocab = vocabulary(f, registry);
        if (vocab.size() > a.nVocab()) {
            throw new GgufException(f.path() + ": the tokenizer has " + vocab.size() + " tokens but the embedding only " + a.nVocab() + " rows");
        }
        ChatTemplate template = ChatTemplate.of(f, vocab);
        ModelFacts info = new ModelFacts(arch, parameters(f), quantization(f), a.T(), a.maxContext(), a.nLayer(), a.nHead(), a.nKvHead(),
                a.nEmb(), a.nVocab(), vocab.tokenizer(), d.positional().name(), template.name(), f.fileSize());
        return new GgufModel(f, weights, vocab, template, info);
    }

    /**
     * {@code block_count} against the tensors the file holds: a block has several tensors, so a count
     * beyond a third of them is a damaged file, however large (before, 2^31 - 1 blocks ran the JVM
     * out of memory making their list).
     */
    private static void checkBlockCount(GgufFile f, String arch) {
        String key = arch + ".block_count";
        if (!f.has(key)) return;   // the family says what it needs
        long nLayer = f.getLong(key);
        // A file without even the embedding is named for that (every family needs it).
        if (!f.tensors().containsKey("token_embd.weight")) throw new GgufException(f.path() + " has no tensor 'token_embd.weight'");
        if (nLayer > f.tensors().size() / 3) {
            throw new GgufException(f.path() + ": " + key + " is " + nLayer + " but the file holds " + f.tensors().size()
                    + " tensors, enough for " + f.tensors().size() / 3 + " blocks at most");
        }
    }

    /**
     * What the shapes ask of memory, before a request allocates it: one sequence's KV cache over the
     * whole context must fit one array per block and the JVM's maximum heap (caches grow with their
     * sequences, so a sequence that reaches the end of the context holds all of it). Keys and values
     * count 2 bytes each: the cpu backend caches them in half precision.
     */
    private static void checkSizes(GgufFile f, String arch, Architecture a) {
        long kvDim = (long) a.nKvHead() * a.headDim(), maxCtx = a.maxContext();
        if (kvDim * maxCtx > Integer.MAX_VALUE - 16) {
            throw new GgufException(f.path() + ": " + arch + ".context_length " + maxCtx + " × " + kvDim
                    + " key/value dimensions is more than a KV cache block holds (2^31 values); cap the context");
        }
        long kvBytes = 4L * a.nLayer() * maxCtx * kvDim, max = Runtime.getRuntime().maxMemory();
        if (kvBytes > max) {
            throw new GgufException(f.path() + ": a KV cache over the context of " + maxCtx + " tokens (" + arch + ".context_length) needs "
                    + (kvBytes >> 20) + " MiB, more than the JVM's " + (max >> 20)
                    + " MiB; give it more memory (-Xmx, or RILL_MAX_RAM_PERCENT for ./rill) or cap the context");
        }
    }

    /** The family plugin that reads {@code arch} (by {@link ModelFamily#architectures()}, not by name). */
    static ModelFamily family(ModelFile f, String arch, PluginRegistry registry) {
        List<ModelFamily> families = registry.all(ModelFamily.class);
        for (ModelFamily m : families) if (m.architectures().contains(arch)) return m;
        TreeSet<String> known = new TreeSet<>();
        for (ModelFamily m : families) known.addAll(m.architectures());
        throw f.error("architecture '" + arch + "' is not supported; supported: "
                + (known.isEmpty() ? "none (no model family plugin installed)" : String.join(", ", known)));
    }

    /** The positional encoder a family names, for this architecture's shape. */
    private static PositionalEncoder encoder(PluginRegistry registry, ModelFamily.Positional p, Architecture a) {
        PositionalEncoding encoding = registry.get(PositionalEncoding.class, p.name());
        return encoding.create(new ModelShape(a.nEmb(), a.nHead(), a.headDim(), a.T(), a.maxContext()), encoding.params(p.params()));
    }

    /** The vocabulary in the file's metadata, read by the tokenizer plugin that declares its kind ({@code tokenizer.ggml.model}). */
    static Vocabulary vocabulary(ModelFile f, PluginRegistry registry) {
        String kind = f.getString("tokenizer.ggml.model", null);
        if (kind == null) throw f.error("no tokenizer (tokenizer.ggml.model is missing)");
        List<Tokenizer> readers = registry.all(Tokenizer.class).stream().filter(t -> t.modelFileTokenizers().contains(kind)).toList();
        if (readers.isEmpty()) {
            TreeSet<String> known = new TreeSet<>();
            for (Tokenizer t : registry.all(Tokenizer.class)) known.addAll(t.modelFileTokenizers());
            throw f.error("tokenizer model '" + kind + "' is not supported by the installed tokenizers; supported: "
                    + (known.isEmpty() ? "none (no tokenizer plugin reads model files)" : String.join(", ", known)));
        }
        return readers.getFirst().fromModelFile(f);
    }

    private static long parameters(GgufFile f) {
        long n = 0;
        for (GgufFile.TensorInfo t : f.tensors().values()) n += t.elements();
        return n;
    }

    /** The type holding most weight elements among matrices (e.g. Q4_0 files keep some tensors in Q6_K). */
    private static String quantization(GgufFile f) {
        Map<String, Long> byType = new LinkedHashMap<>();
        for (GgufFile.TensorInfo t : f.tensors().values()) {
            if (t.dims().length >= 2) byType.merge(t.typeName(), t.elements(), Long::sum);
        }
        return byType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("F32");
    }

    /**
     * Token ids for a rendered chat prompt: special tokens in the text become their ids, and BOS is
     * put in front when the tokenizer asks for it and the template did not already write it.
     */
    public int[] encodePrompt(String prompt) {
        int[] ids = vocabulary.encode(prompt, true);
        if (vocabulary.addBos() && vocabulary.bos() >= 0 && (ids.length == 0 || ids[0] != vocabulary.bos())) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = vocabulary.bos();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    @Override
    public void close() {
        file.close();
    }
}
