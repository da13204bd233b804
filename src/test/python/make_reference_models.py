"""Tiny random Llama, Qwen 2 and Qwen 3 models built with Hugging Face transformers, converted to
GGUF the way llama.cpp's convert_hf_to_gguf.py does (tensor names; Llama's q/k rows permuted for
adjacent-pair RoPE; Llama 3.1 scaling as a rope_freqs tensor), plus the logits transformers
computes for a token sequence: an independent reference for Rill's whole forward pass.

Writes src/test/resources/gguf/tiny-{llama,qwen2,qwen3}.gguf and tiny-logits.json (the engine's GgufModelTest).
Run from the repository root (needs `pip install torch transformers gguf numpy`):
    python3 src/test/python/make_reference_models.py
"""
import json, math
import numpy as np
import torch
import gguf
from tiny_vocab import add_shape, add_tokenizer, reference_logits
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM

torch.manual_seed(20261128)
OUT = "src/test/resources/gguf"
V, C, H, L, NH, NKV = 64, 32, 64, 2, 4, 2
TOKENS = [1, 5, 17, 33, 2, 60, 7, 7, 41, 12, 25, 63, 0, 9]

def permute(w, n_head):
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

def llama3_factors(base, dim, factor=8.0, low=1.0, high=4.0, orig=8192):
    out = []
    for i in range(0, dim, 2):
        freq = 1.0 / (base ** (i / dim))
        wavelen = 2 * math.pi / freq
        if wavelen < orig / high: out.append(1.0)
        elif wavelen > orig / low: out.append(factor)
        else:
            s = (orig / wavelen - low) / (high - low)
            out.append(1 / ((1 - s) / factor + s))
    return np.array(out, dtype=np.float32)

cases = {}
for arch in ("llama", "qwen2", "qwen3"):
    common = dict(vocab_size=V, hidden_size=C, intermediate_size=H, num_hidden_layers=L, num_attention_heads=NH,
                  num_key_value_heads=NKV, max_position_embeddings=256, rms_norm_eps=1e-5)
    if arch == "llama":
        cfg = LlamaConfig(**common, rope_theta=500000.0, tie_word_embeddings=False,
                          rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                        "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})
        model = LlamaForCausalLM(cfg)
    elif arch == "qwen2":
        cfg = Qwen2Config(**common, rope_theta=1000000.0, tie_word_embeddings=True)
        model = Qwen2ForCausalLM(cfg)
    else:
        cfg = Qwen3Config(**common, head_dim=12, rope_theta=1000000.0, tie_word_embeddings=False)
        model = Qwen3ForCausalLM(cfg)
    head_dim = getattr(cfg, "head_dim", None) or C // NH
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.3 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.3 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * (0.5 / math.sqrt(p.shape[-1]) if p.dim() == 2 else 0.3))
        emb = model.model.embed_tokens.weight
        emb.mul_(2.0)
    model, cases[arch] = reference_logits(model, TOKENS)

    w = gguf.GGUFWriter(f"{OUT}/tiny-{arch}.gguf", arch)
    add_shape(w, f"tiny-{arch}", C, L, H, NH, NKV, 1e-5)
    w.add_rope_freq_base(cfg.rope_theta if hasattr(cfg, "rope_theta") else cfg.rope_parameters["rope_theta"])
    if arch == "qwen3":
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    add_tokenizer(w, "qwen2" if arch != "llama" else "llama-bpe")
    sd = {k: v.float().numpy() for k, v in model.state_dict().items()}
    w.add_tensor("token_embd.weight", sd["model.embed_tokens.weight"])
    w.add_tensor("output_norm.weight", sd["model.norm.weight"])
    if not cfg.tie_word_embeddings:
        w.add_tensor("output.weight", sd["lm_head.weight"])
    if arch == "llama":
        w.add_tensor("rope_freqs.weight", llama3_factors(500000.0, head_dim))
    for l in range(L):
        p = f"model.layers.{l}."
        q, k = sd[p + "self_attn.q_proj.weight"], sd[p + "self_attn.k_proj.weight"]
        if arch == "llama":
            q, k = permute(q, NH), permute(k, NKV)
        b = f"blk.{l}."
        w.add_tensor(b + "attn_norm.weight", sd[p + "input_layernorm.weight"])
        w.add_tensor(b + "attn_q.weight", q)
        w.add_tensor(b + "attn_k.weight", k)
        w.add_tensor(b + "attn_v.weight", sd[p + "self_attn.v_proj.weight"])
        w.add_tensor(b + "attn_output.weight", sd[p + "self_attn.o_proj.weight"])
        if arch == "qwen2":
            for x in "qkv":
                w.add_tensor(b + f"attn_{x}.bias", sd[p + f"self_attn.{x}_proj.bias"])
        if arch == "qwen3":
            w.add_tensor(b + "attn_q_norm.weight", sd[p + "self_attn.q_norm.weight"])
            w.add_tensor(b + "attn_k_norm.weight", sd[p + "self_attn.k_norm.weight"])
        w.add_tensor(b + "ffn_norm.weight", sd[p + "post_attention_layernorm.weight"])
        w.add_tensor(b + "ffn_gate.weight", sd[p + "mlp.gate_proj.weight"])
        w.add_tensor(b + "ffn_up.weight", sd[p + "mlp.up_proj.weight"])
        w.add_tensor(b + "ffn_down.weight", sd[p + "mlp.down_proj.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

json.dump(cases, open(f"{OUT}/tiny-logits.json", "w"))
print("wrote tiny models and logits")
