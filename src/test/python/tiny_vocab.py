"""The tokenizer metadata of the tiny reference models: GPT-2's byte alphabet for bytes 32..91 (ids
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
