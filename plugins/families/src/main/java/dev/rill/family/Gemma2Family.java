package dev.rill.family;

import dev.rill.spi.Architecture;
import dev.rill.spi.ModelFile;
import dev.rill.spi.ModelWeights;

import java.util.Set;

/**
 * {@code gemma2}: Gemma 2 — GeGLU; embeddings scaled by √nEmb; RMSNorm after attention and after
 * the MLP as well as before (llama.cpp's converter stores Gemma's norm weights as 1 + w); attention
 * scores and final logits soft-capped ({@code attn_logit_softcapping}, {@code final_logit_softcapping});
 * even layers attend over a sliding window ({@code attention.sliding_window}), odd ones globally;
 * RoPE on halves; tied head. Scores are scaled by 1/√headDim, as llama.cpp does for all but the 27B
 * model (which uses 1/√(nEmb/nHead)).
 */
public class Gemma2Family extends TransformerFamily {

    @Override
    public Set<String> architectures() {
        return one("gemma2");
    }

    @Override
    public String description() {
        return "Gemma 2: GeGLU, RMSNorm before and after attention and MLP, soft-capped scores and logits, alternating sliding-window layers";
    }

    @Override
    String pairing() {
        return "half";
    }

    @Override
    Architecture.Activation activation() {
        return Architecture.Activation.GEGLU;
    }

    @Override
    Architecture architecture(ModelFile f, Hparams h) {
        String p = h.arch() + ".";
        return new Architecture(h.nVocab(), h.nEmb(), h.nLayer(), h.nHead(), h.nKvHead(), h.headDim(), h.nHidden(), h.ctx(), h.maxCtx(),
                Architecture.Norm.RMS_NORM, h.eps(), activation(), (float) Math.sqrt(h.nEmb()), (float) (1 / Math.sqrt(h.headDim())),
                (float) f.getDouble(p + "attn_logit_softcapping", 0), (float) f.getDouble(p + "final_logit_softcapping", 0));
    }

    /** Whether layer {@code l} attends over the sliding window (Gemma 2: the even layers). */
    boolean sliding(int l) {
        return l % 2 == 0;
    }

    @Override
    ModelWeights.Block block(ModelFile f, Hparams h, int l) {
        ModelWeights.Block b = super.block(f, h, l);
        String n = "blk." + l + ".";
        int window = sliding(l) ? f.getInt(h.arch() + ".attention.sliding_window", 1) : 0;
        return new ModelWeights.Block(b.attnNorm(), b.q(), b.k(), b.v(), b.o(), b.qNorm(), b.kNorm(), b.mlpNorm(), b.up(), b.gate(), b.down(),
                norm(f, n + "post_attention_norm.weight", h.nEmb()), norm(f, n + "post_ffw_norm.weight", h.nEmb()), window, null);
    }
}
