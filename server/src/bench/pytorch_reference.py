"""Independent reference for `rill bench train`: a nanoGPT-style GPT-2 in PyTorch (our own few
lines, not nanoGPT's code), trained on random tokens for configs S and M, printing tokens/s, tokens
per second of processor time and the peak resident memory of the process while each config ran
(`rill bench train --pytorch PYTHON` runs it and prints the ratios).

    python3 server/src/bench/pytorch_reference.py [--threads 2] [--steps 10] [--config S,M]

Same shapes and work per step as Rill's bench: LayerNorm, causal self-attention
(scaled_dot_product_attention), tanh-GELU MLP, tied LM head, mean cross-entropy, backward,
grad-norm clipping, AdamW.
"""
import argparse, math, re, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {"S": dict(n_vocab=65, n_layer=4, n_head=4, n_emb=128, T=128, n_batch=16),
           "M": dict(n_vocab=65, n_layer=6, n_head=6, n_emb=384, T=256, n_batch=64)}


class Block(nn.Module):
    def __init__(self, c, nh):
        super().__init__()
        self.nh = nh
        self.ln1, self.ln2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.qkv, self.proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.fc, self.fc_proj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.nh, c // self.nh).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, n_vocab, n_layer, n_head, n_emb, T, **_):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(n_vocab, n_emb), nn.Embedding(T, n_emb)
        self.blocks = nn.ModuleList(Block(n_emb, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_emb)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.blocks:
            x = blk(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def reset_peak_rss():
    """Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM) to the current one."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_mib():
    try:
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024
    except (OSError, AttributeError):
        return float("nan")


def bench(name, cfg, steps, warmup):
    reset_peak_rss()
    torch.manual_seed(1)
    model = GPT(**cfg)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.99))
    x = torch.randint(cfg["n_vocab"], (cfg["n_batch"], cfg["T"]))
    y = torch.randint(cfg["n_vocab"], (cfg["n_batch"], cfg["T"]))
    times, cpu = [], []
    for i in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    med, med_cpu = statistics.median(times), statistics.median(cpu)
    n = sum(p.numel() for p in model.parameters())
    tokens = cfg['n_batch'] * cfg['T']
    print(f"pytorch {torch.__version__} config {name}: {tokens / med:,.0f} tokens/s "
          f"(median of {steps} steps, {med * 1e3:.1f} ms/step, {n:,} parameters, {torch.get_num_threads()} threads), "
          f"{tokens / med_cpu:,.0f} tokens per processor-second, peak RSS {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--config", default="S,M")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for name in a.config.split(","):
        bench(name, CONFIGS[name.strip().upper()], a.steps, a.warmup)
