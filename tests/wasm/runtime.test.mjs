// slm_runtime.wasm in Node.js (node --test): the same tokens and text as the
// native `slmctl run` for every fixture and sampling setting, with the SIMD128
// and the scalar kernels, the golden tokens of the float64 reference, and a
// clear status for every kind of bad call.
// Environment: SLMCTL (native binary), SLM_RUNTIME_WASM (the artifact),
// SOURCE_DIR (repository root).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { SLMCTL, SLM_RUNTIME_WASM, SOURCE_DIR } = process.env;
const { loadRuntime, STATUS, SlmError } = await import(pathToFileURL(join(SOURCE_DIR, 'apps/wasm/slm.mjs')));
const wasmUrl = pathToFileURL(SLM_RUNTIME_WASM);

const FIXTURES = ['tiny', 'tiny-bpe', 'tiny-tied', 'tiny-gqa', 'tiny-mqa', 'skills/text-reverse'];
const QUANTIZED = [['tiny-gqa', 'q8_0'], ['tiny-gqa', 'q4_0'], ['tiny-tied', 'q8_0'], ['tiny-tied', 'q4_0']];
const SETTINGS = [
  { name: 'greedy', opts: { maxTokens: 40 }, flags: [] },
  { name: 'temp 0.8 seed 1', opts: { maxTokens: 40, temperature: 0.8, seed: 1 }, flags: ['--temp', '0.8', '--seed', '1'] },
  { name: 'temp 1 top-k 20 top-p 0.9 seed 42', opts: { maxTokens: 40, temperature: 1, topK: 20, topP: 0.9, seed: 42 },
    flags: ['--temp', '1', '--top-k', '20', '--top-p', '0.9', '--seed', '42'] },
  { name: 'repeat penalty 1.3 seed 7', opts: { maxTokens: 40, temperature: 0.7, repeatPenalty: 1.3, seed: 7 },
    flags: ['--temp', '0.7', '--repeat-penalty', '1.3', '--seed', '7'] },
];
const PROMPTS = { 'skills/text-reverse': 'wasm>' };
const DEFAULT_PROMPT = 'the quick brown fox';

let work;
const models = [];  // { name, path, bytes }

function slmctl(...args) {
  return execFileSync(SLMCTL, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'slm-wasm-'));
  for (const f of FIXTURES) {
    const name = f.replace('skills/', '');
    const path = join(work, `${name}.slm`);
    slmctl('pack', join(SOURCE_DIR, 'fixtures', f, 'spec.yaml'), '-o', path);
    models.push({ name, path, prompt: PROMPTS[f] ?? DEFAULT_PROMPT });
  }
  for (const [base, dt] of QUANTIZED) {
    const path = join(work, `${base}-${dt}.slm`);
    slmctl('quantize', join(work, `${base}.slm`), '--to', dt, '-o', path, '--no-report');
    models.push({ name: `${base}-${dt}`, path, prompt: DEFAULT_PROMPT });
  }
  for (const m of models) m.bytes = readFileSync(m.path);
});

after(() => rmSync(work, { recursive: true, force: true }));

function native(model, setting) {
  const out = slmctl('run', model.path, '-p', model.prompt, '-n', String(setting.opts.maxTokens), '--json',
    ...setting.flags);
  const r = JSON.parse(out);
  return { tokens: r.generated_tokens, text: r.text, stop: r.stop_reason };
}

for (const kernel of ['simd128', 'scalar']) {
  test(`same tokens and text as native (${kernel} kernels)`, async (t) => {
    const rt = await loadRuntime(wasmUrl, { env: kernel === 'scalar' ? { SLM_KERNEL: 'scalar' } : {} });
    assert.equal(rt.diagnostics().kernel, kernel);
    for (const model of models) {
      rt.loadModel(model.bytes);
      for (const setting of SETTINGS) {
        const want = native(model, setting);
        rt.configure(setting.opts);
        const got = rt.generate(model.prompt);
        const label = `${model.name}, ${setting.name}`;
        assert.deepEqual(got.tokens, want.tokens, `${label}: tokens`);
        assert.equal(got.text, want.text, `${label}: text`);
        assert.equal(rt.diagnostics().last_generation.stop_reason, want.stop, `${label}: stop reason`);
        // Streaming yields the same tokens, and pieces that add up to the text.
        const pieces = [...rt.stream(model.prompt)];
        assert.deepEqual(pieces.filter((p) => p.token !== null).map((p) => p.token), want.tokens, `${label}: streamed tokens`);
        assert.equal(pieces.map((p) => p.text).join(''), want.text, `${label}: streamed text`);
      }
    }
    t.diagnostic(`${models.length} models x ${SETTINGS.length} settings`);
  });
}

test('int8 activations and ignore-EOS give the native tokens', async () => {
  const rt = await loadRuntime(wasmUrl);
  const settings = [
    { opts: { maxTokens: 40, activations: 'q8_0' }, flags: ['--activations', 'q8_0'] },
    { opts: { maxTokens: 40, activations: 'q8_0', temperature: 0.8, seed: 3 },
      flags: ['--activations', 'q8_0', '--temp', '0.8', '--seed', '3'] },
    { opts: { maxTokens: 60, ignoreEos: true, temperature: 0.9, seed: 5 }, flags: ['--ignore-eos', '--temp', '0.9', '--seed', '5'] },
  ];
  for (const model of models.filter((m) => /q8_0|q4_0/.test(m.name))) {
    rt.loadModel(model.bytes);
    for (const setting of settings) {
      const want = native(model, setting);
      rt.configure(setting.opts);
      const got = rt.generate(model.prompt);
      assert.deepEqual(got.tokens, want.tokens, `${model.name} ${setting.flags.join(' ')}: tokens`);
      const options = rt.diagnostics().options;
      assert.equal(options.activations, setting.opts.activations ?? 'f32');
      assert.equal(options.ignore_eos, setting.opts.ignoreEos ?? false);
      if (setting.opts.ignoreEos) assert.equal(got.tokens.length, setting.opts.maxTokens);
    }
  }
});

// The golden files hold greedy tokens computed by the independent float64
// reference (tests/reference/llama_ref.py); native slmctl is held to them in
// cli.test_run, and the WASM runtime to the same files here.
test('golden greedy tokens of the float64 reference', async () => {
  const rt = await loadRuntime(wasmUrl);
  const goldenDir = join(SOURCE_DIR, 'tests/data/golden');
  const field = (text, key) => text.match(new RegExp(`^${key}: (.*)$`, 'm'))[1];
  let checked = 0;
  for (const model of models.filter((m) => !m.name.includes('_') && !m.name.includes('text-reverse'))) {
    const golden = readFileSync(join(goldenDir, `${model.name}.txt`), 'utf8');
    const want = field(golden, 'generated_tokens').split(' ').map(Number);
    rt.loadModel(model.bytes);
    rt.configure({ maxTokens: 64 });
    const got = rt.generate(JSON.parse(field(golden, 'prompt')));
    assert.deepEqual(got.tokens, want, `${model.name}: golden tokens`);
    const d = rt.diagnostics().last_generation;
    assert.equal(d.prompt_tokens, field(golden, 'prompt_tokens').split(' ').length, `${model.name}: prompt tokens`);
    assert.equal(d.stop_reason, field(golden, 'stop_reason'), `${model.name}: stop reason`);
    checked++;
  }
  assert.equal(checked, 5);
});

test('diagnostics describe the loaded model', async () => {
  const rt = await loadRuntime(wasmUrl);
  assert.equal(rt.diagnostics().model, null);
  const m = models[0];
  rt.loadModel(m.bytes);
  const d = rt.diagnostics();
  assert.equal(d.abi_version, 1);
  assert.equal(d.model.digest, 'sha256:' + createHash('sha256').update(m.bytes).digest('hex'));
  assert.equal(d.model.bytes, m.bytes.length);
  assert.ok(d.model.parameters > 0 && d.model.vocab_size > 0);
});

// Calls `fn`, expects SlmError with `status`, and returns the error.
function expectStatus(fn, status, pattern) {
  let caught;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof SlmError, `expected SlmError ${status}, got ${caught}`);
  assert.equal(caught.status, status);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

// Raw ABI call with bytes copied into the module's memory.
function rawCall(rt, fn, bytes) {
  const e = rt.exports;
  const ptr = e.slm_alloc(bytes.length);
  new Uint8Array(e.memory.buffer, ptr, bytes.length).set(bytes);
  try { return e[fn](ptr, bytes.length); } finally { e.slm_free(ptr); }
}

test('bad calls get clear status codes and change nothing', async () => {
  const rt = await loadRuntime(wasmUrl);
  const good = models.find((m) => m.name === 'tiny-gqa');
  const e = rt.exports;

  expectStatus(() => rt.generate('hi'), 'E_NO_MODEL', /load a model/);
  expectStatus(() => rt.reset(), 'E_NO_MODEL');
  expectStatus(() => rt.releaseModel(), 'E_NO_MODEL');
  assert.equal(e.slm_step(), STATUS.E_NO_MODEL);

  rt.loadModel(good.bytes);
  rt.configure({ maxTokens: 24 });
  const reference = rt.generate(DEFAULT_PROMPT);
  assert.ok(reference.tokens.length > 0);
  const stillWorks = (label) => assert.deepEqual(rt.generate(DEFAULT_PROMPT), reference, `valid generation after ${label}`);

  // Invalid UTF-8 prompts: a stray continuation byte, a truncated sequence, an overlong form, a surrogate.
  for (const bad of [[0x80], [0x61, 0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
    assert.equal(rawCall(rt, 'slm_generate', Uint8Array.from(bad)), STATUS.E_BAD_UTF8);
    assert.match(rt.lastError(), /UTF-8/);
  }
  stillWorks('invalid UTF-8');

  // Null pointers and lengths that run past the end of memory.
  assert.equal(e.slm_generate(0, 4), STATUS.E_BAD_ARGUMENT);
  assert.match(rt.lastError(), /null/);
  assert.equal(e.slm_load_model(0, 100), STATUS.E_BAD_ARGUMENT);
  assert.equal(e.slm_begin(0, 0), STATUS.E_BAD_ARGUMENT);
  const size = e.memory.buffer.byteLength;
  assert.equal(e.slm_generate(16, size), STATUS.E_BAD_ARGUMENT);
  assert.equal(e.slm_load_model(size - 8, 16), STATUS.E_BAD_ARGUMENT);
  assert.equal(e.slm_generate(0xfffffff0, 0x20), STATUS.E_BAD_ARGUMENT);
  assert.match(rt.lastError(), /not inside the module's memory/);
  stillWorks('bad pointers');

  // Sampling settings out of range are refused and the previous ones kept.
  const before = rt.diagnostics().options;
  for (const bad of [{ temperature: -1 }, { temperature: NaN }, { temperature: Infinity }, { topP: 0 },
    { topP: 1.5 }, { topK: -3 }, { repeatPenalty: 0 }, { repeatPenalty: -2 }, { seed: -1 }, { seed: 1.5 },
    { seed: 2 ** 60 }]) {
    expectStatus(() => rt.configure({ maxTokens: 24, ...bad }), 'E_BAD_OPTION');
    assert.deepEqual(rt.diagnostics().options, before, `options unchanged after ${JSON.stringify(bad)}`);
  }
  stillWorks('bad options');
  assert.equal(e.slm_set_flags(4), STATUS.E_BAD_OPTION);
  assert.match(rt.lastError(), /unknown flag bits 4/);
  expectStatus(() => rt.configure({ maxTokens: 24, activations: 'q4_0' }), 'E_BAD_OPTION', /activations/);
  assert.deepEqual(rt.diagnostics().options, before, 'options unchanged after bad flags');
  stillWorks('bad flags');

  // Corrupt model bytes never replace the loaded model.
  const flipped = Uint8Array.from(good.bytes);
  flipped[flipped.length - 100] ^= 0x40;  // tensor data: the checksum catches it
  expectStatus(() => rt.loadModel(flipped), 'E_BAD_MODEL', /checksum/);
  expectStatus(() => rt.loadModel(good.bytes.subarray(0, 200)), 'E_BAD_MODEL');
  expectStatus(() => rt.loadModel(new Uint8Array(0)), 'E_BAD_MODEL');
  expectStatus(() => rt.loadModel(Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255)), 'E_BAD_MODEL');
  const badMagic = Uint8Array.from(good.bytes);
  badMagic[0] = 0x58;
  expectStatus(() => rt.loadModel(badMagic), 'E_BAD_MODEL');
  assert.equal(rt.diagnostics().model.digest, 'sha256:' + createHash('sha256').update(good.bytes).digest('hex'));
  stillWorks('corrupt models');

  // A prompt that leaves no room to generate.
  expectStatus(() => rt.generate('x'.repeat(5000)), 'E_BAD_PROMPT', /context length/);
  stillWorks('a too long prompt');

  // Step without a generation in progress, and after one has finished.
  assert.equal(e.slm_step(), STATUS.E_NO_GENERATION);
  [...rt.stream(DEFAULT_PROMPT)];
  assert.equal(e.slm_step(), STATUS.E_NO_GENERATION);
  // reset() abandons a generation midway.
  const it = rt.stream(DEFAULT_PROMPT);
  it.next();
  rt.reset();
  assert.equal(e.slm_step(), STATUS.E_NO_GENERATION);
  stillWorks('a reset');

  // Release: every call that needs a model is refused, twice over.
  rt.releaseModel();
  expectStatus(() => rt.generate('hi'), 'E_NO_MODEL');
  expectStatus(() => [...rt.stream('hi')], 'E_NO_MODEL');
  expectStatus(() => rt.releaseModel(), 'E_NO_MODEL');
  expectStatus(() => rt.reset(), 'E_NO_MODEL');
  assert.equal(rt.diagnostics().model, null);
  rt.loadModel(good.bytes);
  stillWorks('release and reload');
});
