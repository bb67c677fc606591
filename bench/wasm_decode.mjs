// Decode speed of slm_runtime.wasm in Node.js, for bench/run.sh: the same
// prompt, token count and settings as the native `slmctl run` rows.
//   node bench/wasm_decode.mjs RUNTIME.wasm MODEL.slm PROMPT N ACTIVATIONS
// Prints one JSON line: the runtime's diagnostics for the generation.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadRuntime } from '../apps/wasm/slm.mjs';

const [wasm, model, prompt, n, activations] = process.argv.slice(2);
const rt = await loadRuntime(pathToFileURL(wasm));
rt.loadModel(readFileSync(model));
rt.configure({ maxTokens: Number(n), ignoreEos: true, activations });
rt.generate(prompt);
const d = rt.diagnostics();
console.log(JSON.stringify({ ...d.last_generation, kernel: d.kernel, node: process.version }));
