"""Tiny random Gemma 2, Gemma 3 and Phi-3 models built with Hugging Face transformers, converted to
GGUF the way llama.cpp's convert_hf_to_gguf.py does (its tensor names; Gemma's norm weights stored
as 1 + w; Phi-3's fused qkv and gate/up tensors kept fused), plus the logits transformers computes
for a token sequence: the independent reference for the gemma2, gemma3 and phi3 model families.
The sequence is longer than the sliding window, so local attention layers see only part of it.

Writes src/test/resources/gguf/tiny-{gemma2,gemma3,phi3}.gguf and tiny-logits-families.json.
Run from the repository root (needs `pip install torch transformers gguf numpy`):
    python3 src/test/python/make_reference_families.py
"""
import json, math
import numpy as np
import torch
import gguf
from tiny_vocab import add_shape, add_tokenizer, reference_logits
from transformers import (Gemma2Config, Gemma2ForCausalLM, Gemma3TextConfig, Gemma3ForCausalLM,
                          Phi3Config, Phi3ForCausalLM)

torch.manual_seed(20261206)
OUT = "src/test/resources/gguf"
V, C, H, NH, NKV, HD = 64, 32, 64, 4, 2, 16
WINDOW = 4
TOKENS = [1, 5, 17, 33, 2, 60, 7, 7, 41, 12, 25, 63, 0, 9]

def randomize(model, gemma):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                # Gemma's RMSNorm multiplies by (1 + w): draw w around 0.
                p.copy_((0.0 if gemma else 1.0) + 0.3 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.3 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * (0.5 / math.sqrt(p.shape[-1]) if p.dim() == 2 else 0.3))

cases = {}
for arch in ("gemma2", "gemma3", "phi3"):
    common = dict(vocab_size=V, hidden_size=C, intermediate_size=H, num_attention_heads=NH, num_key_value_heads=NKV,
                  max_position_embeddings=256, rms_norm_eps=1e-6)
    if arch == "gemma2":
        L = 2
        cfg = Gemma2Config(**common, num_hidden_layers=L, head_dim=HD, query_pre_attn_scalar=HD, sliding_window=WINDOW,
                           attn_logit_softcapping=5.0, final_logit_softcapping=3.0, hidden_activation="gelu_pytorch_tanh",
                           rope_theta=10000.0, attn_implementation="eager")
        model = Gemma2ForCausalLM(cfg)
    elif arch == "gemma3":
        L = 6
        cfg = Gemma3TextConfig(**common, num_hidden_layers=L, head_dim=HD, query_pre_attn_scalar=HD, sliding_window=WINDOW,
                               hidden_activation="gelu_pytorch_tanh", rope_theta=1000000.0, rope_local_base_freq=10000.0,
                               attn_implementation="eager")
        model = Gemma3ForCausalLM(cfg)
    else:
        L = 2
        cfg = Phi3Config(**common, num_hidden_layers=L, rope_theta=10000.0, tie_word_embeddings=False, sliding_window=None,
                         attn_implementation="eager", pad_token_id=0)
        model = Phi3ForCausalLM(cfg)
    gemma = arch.startswith("gemma")
    randomize(model, gemma)
    model, cases[arch] = reference_logits(model, TOKENS)

    w = gguf.GGUFWriter(f"{OUT}/tiny-{arch}.gguf", arch)
    add_shape(w, f"tiny-{arch}", C, L, H, NH, NKV, 1e-6)
    head_dim = HD if gemma else C // NH
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    if arch == "gemma2":
        w.add_sliding_window(WINDOW)
        w.add_attn_logit_softcapping(5.0)
        w.add_final_logit_softcapping(3.0)
        w.add_rope_freq_base(10000.0)
    elif arch == "gemma3":
        w.add_sliding_window(WINDOW)
        w.add_rope_freq_base(1000000.0)
    else:
        w.add_rope_freq_base(10000.0)
    add_tokenizer(w, "default")
    sd = {k: v.float().numpy() for k, v in model.state_dict().items()}
    norm = (lambda t: t + 1.0) if gemma else (lambda t: t)
    w.add_tensor("token_embd.weight", sd["model.embed_tokens.weight"])
    w.add_tensor("output_norm.weight", norm(sd["model.norm.weight"]))
    if not gemma:
        w.add_tensor("output.weight", sd["lm_head.weight"])
    for l in range(L):
        p = f"model.layers.{l}."
        b = f"blk.{l}."
        w.add_tensor(b + "attn_norm.weight", norm(sd[p + "input_layernorm.weight"]))
        w.add_tensor(b + "attn_output.weight", sd[p + "self_attn.o_proj.weight"])
        w.add_tensor(b + "ffn_down.weight", sd[p + "mlp.down_proj.weight"])
        if gemma:
            for x in "qkv":
                w.add_tensor(b + f"attn_{x}.weight", sd[p + f"self_attn.{x}_proj.weight"])
            w.add_tensor(b + "post_attention_norm.weight", norm(sd[p + "post_attention_layernorm.weight"]))
            w.add_tensor(b + "ffn_norm.weight", norm(sd[p + "pre_feedforward_layernorm.weight"]))
            w.add_tensor(b + "post_ffw_norm.weight", norm(sd[p + "post_feedforward_layernorm.weight"]))
            w.add_tensor(b + "ffn_gate.weight", sd[p + "mlp.gate_proj.weight"])
            w.add_tensor(b + "ffn_up.weight", sd[p + "mlp.up_proj.weight"])
            if arch == "gemma3":
                w.add_tensor(b + "attn_q_norm.weight", norm(sd[p + "self_attn.q_norm.weight"]))
                w.add_tensor(b + "attn_k_norm.weight", norm(sd[p + "self_attn.k_norm.weight"]))
        else:
            w.add_tensor(b + "attn_qkv.weight", sd[p + "self_attn.qkv_proj.weight"])
            w.add_tensor(b + "ffn_norm.weight", sd[p + "post_attention_layernorm.weight"])
            w.add_tensor(b + "ffn_up.weight", sd[p + "mlp.gate_up_proj.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

json.dump(cases, open(f"{OUT}/tiny-logits-families.json", "w"))
print("wrote", ", ".join(cases))
