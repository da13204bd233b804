package dev.rill.family;

import dev.rill.spi.Architecture;
import dev.rill.spi.ModelFamily;
import dev.rill.spi.ModelFileException;
import dev.rill.spi.ModelWeights;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What each family makes of a file's metadata and tensor names (their numerics against Hugging Face
 * transformers are the engine's GgufModelTest): Phi-3's fused tensors split into the right rows,
 * Gemma's layer pattern, soft-caps, scales and RoPE bases, and what is refused.
 */
class FamiliesTest {

    static final int C = 32, H = 64, NH = 4, NKV = 2, HD = 8, V = 40;

    @Test
    void everyFamilyIsFoundByItsArchitecture() {
        Set<String> archs = new TreeSet<>();
        for (ModelFamily f : ServiceLoader.load(ModelFamily.class)) archs.addAll(f.architectures());
        assertEquals(Set.of("gemma2", "gemma3", "llama", "phi3", "qwen2", "qwen3"), archs);
    }

    @Test
    void phi3SplitsItsFusedProjectionsIntoTheirRows() {
        MemoryModelFile f = base("phi3", 2);
        for (int l = 0; l < 2; l++) {
            f.tensor("blk." + l + ".attn_qkv.weight", NH * HD + 2 * NKV * HD, C).tensor("blk." + l + ".ffn_up.weight", 2 * H, C);
        }
        ModelFamily.Description d = new Phi3Family().describe(f, 0);
        ModelWeights.Block b = d.blocks().getFirst();
        int q = NH * HD, kv = NKV * HD;
        assertEquals(q, b.q().out());
        assertEquals(kv, b.k().out());
        assertEquals(kv, b.v().out());
        // Row r of each part is row (offset + r) of the fused matrix (its elements say their row).
        assertEquals(0f, b.q().weight().toFloats()[0]);
        assertEquals(q, b.k().weight().toFloats()[0]);
        assertEquals(q + kv, b.v().weight().toFloats()[0]);
        assertEquals(0f, b.gate().weight().toFloats()[0], "gate is the first half of ffn_up");
        assertEquals(H, b.up().weight().toFloats()[0], "up is the second half");
        assertEquals("half", d.positional().params().get("pairing"));
        assertEquals(Architecture.Activation.SWIGLU, d.arch().activation());

        f.tensor("rope_factors_long.weight", 1, HD / 2);
        ModelFileException e = assertThrows(ModelFileException.class, () -> new Phi3Family().describe(f, 0));
        assertTrue(e.getMessage().contains("LongRoPE"), e.getMessage());
    }

    @Test
    void gemma2HasGeGluScalesSoftCapsPostNormsAndAlternatingWindows() {
        MemoryModelFile f = gemma("gemma2", 4).put("gemma2.attn_logit_softcapping", 50.0).put("gemma2.final_logit_softcapping", 30.0);
        ModelFamily.Description d = new Gemma2Family().describe(f, 0);
        Architecture a = d.arch();
        assertEquals(Architecture.Activation.GEGLU, a.activation());
        assertEquals((float) Math.sqrt(C), a.embeddingScale());
        assertEquals((float) (1 / Math.sqrt(HD)), a.attnScale());
        assertEquals(50f, a.attnSoftcap());
        assertEquals(30f, a.finalSoftcap());
        int[] windows = d.blocks().stream().mapToInt(ModelWeights.Block::slidingWindow).toArray();
        assertArrayEquals(new int[]{16, 0, 16, 0}, windows, "even layers slide");
        for (ModelWeights.Block b : d.blocks()) {
            assertNotNull(b.postAttnNorm());
            assertNotNull(b.postMlpNorm());
        }
        assertEquals(d.tokenEmbedding(), d.output().weight(), "tied head");
    }

    @Test
    void gemma3HasFiveLocalLayersToOneGlobalWithTheirOwnRopeBase() {
        MemoryModelFile f = gemma("gemma3", 7);
        for (int l = 0; l < 7; l++) f.tensor("blk." + l + ".attn_q_norm.weight", 1, HD).tensor("blk." + l + ".attn_k_norm.weight", 1, HD);
        ModelFamily.Description d = new Gemma3Family().describe(f, 0);
        assertEquals(0f, d.arch().attnSoftcap());
        assertEquals(1e6, d.positional().params().get("base"));
        for (int l = 0; l < 7; l++) {
            boolean global = l == 5;
            assertEquals(global ? 0 : 16, d.blocks().get(l).slidingWindow(), "layer " + l);
            ModelFamily.Positional own = d.blockPositional().get(l);
            if (global) assertNull(own, "global layer " + l + " rotates with the model's base");
            else assertEquals(10000.0, own.params().get("base"), "local layer " + l);
        }
        f.tensors.remove("blk.3.attn_k_norm.weight");
        ModelFileException e = assertThrows(ModelFileException.class, () -> new Gemma3Family().describe(f, 0));
        assertTrue(e.getMessage().contains("gemma3 block 3 lacks attn_q_norm/attn_k_norm"), e.getMessage());
    }

    @Test
    void qwen3WithoutItsNormsAndLlamaWithPartialRotaryAreRefused() {
        MemoryModelFile qwen3 = llamaLike(base("qwen3", 1), 1);
        ModelFileException e = assertThrows(ModelFileException.class, () -> new Qwen3Family().describe(qwen3, 0));
        assertTrue(e.getMessage().contains("lacks attn_q_norm/attn_k_norm"), e.getMessage());
        MemoryModelFile llama = llamaLike(base("llama", 1), 1).put("llama.rope.dimension_count", 4L);
        e = assertThrows(ModelFileException.class, () -> new LlamaFamily().describe(llama, 0));
        assertTrue(e.getMessage().contains("partial rotary"), e.getMessage());
        ModelFamily.Description d = new LlamaFamily().describe(llamaLike(base("llama", 1), 1), 16);
        assertEquals("adjacent", d.positional().params().get("pairing"));
        assertEquals(16, d.arch().maxContext(), "the caller's cap");
        assertEquals(List.of(), d.blockPositional().stream().filter(p -> p != null).toList());
    }

    // ---------------------------------------------------------------- files

    static MemoryModelFile base(String arch, int layers) {
        String p = arch + ".";
        MemoryModelFile f = new MemoryModelFile().put("general.architecture", arch).put(p + "embedding_length", (long) C)
                .put(p + "block_count", (long) layers).put(p + "feed_forward_length", (long) H).put(p + "attention.head_count", (long) NH)
                .put(p + "attention.head_count_kv", (long) NKV).put(p + "attention.key_length", (long) HD).put(p + "context_length", 64L);
        f.tensor("token_embd.weight", V, C).tensor("output_norm.weight", 1, C);
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            f.tensor(b + "attn_norm.weight", 1, C).tensor(b + "attn_output.weight", C, NH * HD).tensor(b + "ffn_norm.weight", 1, C)
                    .tensor(b + "ffn_down.weight", C, H);
        }
        return f;
    }

    static MemoryModelFile llamaLike(MemoryModelFile f, int layers) {
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            f.tensor(b + "attn_q.weight", NH * HD, C).tensor(b + "attn_k.weight", NKV * HD, C).tensor(b + "attn_v.weight", NKV * HD, C)
                    .tensor(b + "ffn_gate.weight", H, C).tensor(b + "ffn_up.weight", H, C);
        }
        return f;
    }

    static MemoryModelFile gemma(String arch, int layers) {
        MemoryModelFile f = llamaLike(base(arch, layers), layers).put(arch + ".attention.sliding_window", 16L)
                .put(arch + ".rope.freq_base", 1e6);
        for (int l = 0; l < layers; l++) f.tensor("blk." + l + ".post_attention_norm.weight", 1, C).tensor("blk." + l + ".post_ffw_norm.weight", 1, C);
        return f;
    }
}
