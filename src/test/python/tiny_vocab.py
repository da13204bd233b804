"""What the tiny reference models share: the tokenizer metadata: GPT-2's byte alphabet for bytes 32..91 (ids
0..59), two merges and two control tokens, as the GGUF writers of make_reference_*.py store it."""

def byte_char(b):
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for x in range(256):
        if x not in bs:
            bs.append(x); cs.append(256 + n); n += 1
    return chr(dict(zip(bs, cs))[b])

TOKENS = [byte_char(b) for b in range(32, 92)] + ["ab", "abc", "<|bos|>", "<|eos|>"]
TYPES = [1] * 62 + [3, 3]
MERGES = [byte_char(ord("a")) + " " + byte_char(ord("b")), "ab " + byte_char(ord("c"))]

def add_tokenizer(w, pre):
    """Writes the vocabulary into a gguf.GGUFWriter, with pre-tokenizer name `pre`."""
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(TOKENS)
    w.add_token_types(TYPES)
    w.add_token_merges(MERGES)
    w.add_bos_token_id(62)
    w.add_eos_token_id(63)


def reference_logits(model, tokens):
    """The model's logits (float64) at every position of `tokens`, as a JSON-ready case."""
    import torch
    model = model.double().eval()
    with torch.no_grad():
        logits = model(torch.tensor([tokens])).logits[0].numpy()
    return model, {"tokens": tokens, "logits": logits.astype(float).tolist()}

def add_shape(w, name, C, L, H, NH, NKV, eps):
    """The hyper-parameters every tiny model writes, in the order both scripts wrote them."""
    w.add_name(name)
    w.add_context_length(256)
    w.add_embedding_length(C)
    w.add_block_count(L)
    w.add_feed_forward_length(H)
    w.add_head_count(NH)
    w.add_head_count_kv(NKV)
    w.add_layer_norm_rms_eps(eps)
