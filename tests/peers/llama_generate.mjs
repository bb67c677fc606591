#!/usr/bin/env node
// Reference greedy generation with llama.cpp (node-llama-cpp's prebuilt CPU
// binary, installed by install.sh; works offline).
//
//   node tests/peers/llama_generate.mjs --model M.gguf --tokens 1,2,3 -n 64
//        [--threads 1] [--logits FILE [--prompt-logits]] [--kv f32|f16] [--flash-attn]
//        [--batch N] [--cpu-build haswell|best] [--verbose]
//
// Feeds the prompt ids as given (no tokenization, no BOS added), then picks N
// tokens greedily (llama.cpp's greedy sampler: first maximum logit; no
// repetition penalty) and never stops on EOS/EOG: exactly N tokens come out.
// Prints one JSON object on stdout. With --logits, writes the raw logits of
// every step: N rows of n_vocab little-endian f32, row i = the logits from
// which generated token i was picked (row 0 = last prompt position).
// --prompt-logits adds a row for every prompt position before them: one row
// per fed position (P + N - 1 rows), the layout of `slmctl run --dump-logits`.
//
// Settings chosen to match slmctl's runtime (node-llama-cpp's defaults differ):
// KV cache f32 (default f16), flash attention off (default "auto" = on for CPU,
// and with it llama.cpp casts K/V to f16 even from an f32 cache), the whole
// prompt in one batch (= one ubatch), CPU only, 1 thread (default max(cores, 4)).
//
// --cpu-build haswell (default) loads llama.cpp's AVX2+FMA CPU build on every
// AVX2 host, from the copy install.sh makes without the newer builds: the
// reference the checks hold slmctl to, the same on any such host. best lets
// ggml pick the fastest build for this CPU (for timing).
import { writeSync, openSync, closeSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const usage = "usage: llama_generate.mjs --model FILE.gguf --tokens 1,2,3 -n 64 " +
  "[--threads 1] [--logits FILE [--prompt-logits]] [--kv f32|f16] [--flash-attn] [--batch N] " +
  "[--cpu-build haswell|best] [--verbose]";
function fail(msg, code = 2) { console.error(`llama_generate: ${msg}`); process.exit(code); }

// ---- arguments
const opt = { threads: 1, n: 64, kv: "f32", flashAttn: false, verbose: false, cpuBuild: "haswell" };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i], next = () => (i + 1 < argv.length ? argv[++i] : fail(`${a} needs a value\n${usage}`));
  if (a === "--model") opt.model = next();
  else if (a === "--tokens") opt.tokens = next().split(/[,\s]+/).filter(Boolean).map(Number);
  else if (a === "-n" || a === "--n") opt.n = Number(next());
  else if (a === "--threads") opt.threads = Number(next());
  else if (a === "--logits") opt.logits = next();
  else if (a === "--prompt-logits") opt.promptLogits = true;
  else if (a === "--kv") opt.kv = next().toLowerCase();
  else if (a === "--flash-attn") opt.flashAttn = true;
  else if (a === "--batch") opt.batch = Number(next());
  else if (a === "--cpu-build") opt.cpuBuild = next();
  else if (a === "--verbose") opt.verbose = true;
  else if (a === "-h" || a === "--help") { console.log(usage); process.exit(0); }
  else fail(`unknown argument ${a}\n${usage}`);
}
if (!opt.model || !opt.tokens) fail(usage);
if (!opt.tokens.length || !opt.tokens.every(Number.isInteger)) fail("--tokens: need comma-separated integer ids");
if (!(Number.isInteger(opt.n) && opt.n >= 1)) fail("-n must be a positive integer");
if (!(Number.isInteger(opt.threads) && opt.threads >= 1)) fail("--threads must be a positive integer");
if (!["f32", "f16"].includes(opt.kv)) fail("--kv must be f32 or f16");
if (opt.promptLogits && !opt.logits) fail("--prompt-logits needs --logits");
if (!["haswell", "best"].includes(opt.cpuBuild)) fail("--cpu-build must be haswell or best");

// ---- load node-llama-cpp from .cache/peers (or $SLM_PEERS_DIR)
const peersRoot = process.env.SLM_PEERS_DIR ??
  resolve(dirname(fileURLToPath(import.meta.url)), "../../.cache/peers");
const peers = opt.cpuBuild === "haswell" ? join(peersRoot, "cpu-haswell") : peersRoot;
const pkgDir = join(peers, "node_modules/node-llama-cpp");
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = "true";  // never fetch llama.cpp
let nlc;
try {
  nlc = await import(pathToFileURL(join(pkgDir, "dist/index.js")).href);
} catch (e) {
  fail(`cannot load node-llama-cpp from ${peers} (run tests/peers/install.sh): ${e.message}`, 1);
}
const { getLlama, LlamaLogLevel, GgmlType } = nlc;
const packageVersion = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;

// build:"never" + skipDownload: use the prebuilt binary or fail, never fetch or compile.
// maxThreads caps the Llama instance; the context asks for exactly opt.threads.
const llama = await getLlama({
  gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true,
  maxThreads: opt.threads, progressLogs: false,
  logLevel: opt.verbose ? LlamaLogLevel.debug : LlamaLogLevel.error,
  logger: (level, message) => process.stderr.write(`[llama.cpp ${level}] ${message}\n`),  // keep stdout = JSON
});
const model = await llama.loadModel({ modelPath: opt.model, gpuLayers: 0 });
const meta = model.fileInfo.metadata;
const nVocab = meta.tokenizer?.ggml?.tokens?.length ?? meta[meta.general.architecture]?.vocab_size;
const badId = opt.tokens.find((t) => t < 0 || t >= nVocab);  // llama.cpp would fail or abort
if (badId !== undefined) fail(`token id ${badId} is outside the vocabulary (0..${nVocab - 1})`);
const contextSize = opt.tokens.length + opt.n;  // room for everything: no context shift
const kvType = opt.kv === "f32" ? "F32" : "F16";
const context = await model.createContext({
  contextSize,
  batchSize: opt.batch ?? Math.max(opt.tokens.length, 1),  // whole prompt = one batch/ubatch
  sequences: 1,
  threads: { ideal: opt.threads, min: opt.threads },
  flashAttention: opt.flashAttn,
  experimentalKvCacheKeyType: kvType,     // experimental in node-llama-cpp; default F16
  experimentalKvCacheValueType: kvType,
  failedCreationRemedy: false,
});
const seq = context.getSequence();

// ---- generation. Both paths: temperature 0 => node-llama-cpp's sampler chain
// is just llama_sampler_greedy (does not touch the logits); no repeatPenalty
// given => none. They give the same tokens; evaluate() has less per-token
// overhead, controlledEvaluate() is the only one exposing raw logits.
const wantLogits = opt.logits != null;
const out = [];
let prefillNs, decodeNs, t0 = process.hrtime.bigint();
const lap = () => { const t = process.hrtime.bigint(), d = Number(t - t0); t0 = t; return d; };
if (!wantLogits) {
  // evaluate() stops on EOG unless yieldEogToken is true (then it goes on).
  for await (const tok of seq.evaluate(opt.tokens, { temperature: 0, yieldEogToken: true })) {
    out.push(tok);
    if (out.length === 1) prefillNs = lap();
    if (out.length === opt.n) break;
  }
} else {
  // controlledEvaluate(): per-item generateNext options, raw logits, no EOG check.
  const gen = { generateNext: { token: true, logits: true, options: { temperature: 0 } } };
  const fd = openSync(opt.logits, "w");
  const writeRow = (result) => {
    const m = result?.next?.logits;  // Map token -> logit over the whole vocabulary
    if (!m) fail("llama.cpp returned no logits", 1);
    const row = new Float32Array(nVocab).fill(NaN);
    for (const [tok, v] of m) row[tok] = v;  // exact: f32 values widened to double
    if (m.size !== nVocab || row.some(Number.isNaN)) fail("incomplete logits row", 1);
    writeSync(fd, new Uint8Array(row.buffer));  // x86-64 => little-endian
  };
  const step = (result) => {
    if (result?.next?.token == null) fail("llama.cpp returned no token", 1);
    writeRow(result);
    out.push(result.next.token);
  };
  const last = opt.tokens.length - 1;
  const logitsOnly = { generateNext: { logits: true } };
  const input = opt.tokens.map((t, i) => (i === last ? [t, gen] : opt.promptLogits ? [t, logitsOnly] : t));
  const res = await seq.controlledEvaluate(input);
  if (opt.promptLogits) for (let i = 0; i < last; i++) writeRow(res[i]);
  step(res[last]);
  prefillNs = lap();
  while (out.length < opt.n) step((await seq.controlledEvaluate([[out.at(-1), gen]]))[0]);
  closeSync(fd);
}
decodeNs = lap();
if (out.length !== opt.n) fail(`generated ${out.length} tokens, expected ${opt.n}`, 1);

const typeName = (t) => (GgmlType[t] ?? String(t)).toLowerCase();
const k = typeName(context.kvCacheKeyType), v = typeName(context.kvCacheValueType);
const result = {
  tokens: out,
  prompt_ids: opt.tokens,
  n_vocab: nVocab,
  // prefill: the prompt batch + picking token 0; decode: evaluating tokens 0..n-2 one at a time.
  prefill_tok_s: opt.tokens.length / (prefillNs / 1e9),
  decode_tok_s: opt.n > 1 ? (opt.n - 1) / (decodeNs / 1e9) : null,
  package_version: packageVersion,
  llama_cpp_version: llama.llamaCppRelease.release,
  threads: context.currentThreads,
  system_info: llama.systemInfo,  // CPU features of the ggml-cpu variant loaded (it picks per CPU)
  cpu_build: opt.cpuBuild,
  kv_cache_type: k === v ? k : `k=${k},v=${v}`,
  flash_attention: context.flashAttention,
  batch_size: context.batchSize,
  context_size: context.contextSize,
  sampling: "greedy (first max logit), no penalties, EOG ignored",
  api: wantLogits ? "LlamaContextSequence.controlledEvaluate" : "LlamaContextSequence.evaluate",
  logits: !wantLogits ? null : {
    file: opt.logits, n_vocab: nVocab, dtype: "f32le",
    prompt_rows: !!opt.promptLogits, rows: out.length + (opt.promptLogits ? opt.tokens.length - 1 : 0),
  },
};
console.log(JSON.stringify(result));
await context.dispose();
await model.dispose();
await llama.dispose();
