// The browser app (apps/web) end to end, in Debian's Chromium driven by
// playwright-core: it lists the registry's models, verifies and admits them,
// streams generations that equal the native `slmctl run` output for the same
// settings, cancels, and refuses models whose bytes or manifest were tampered
// with in flight (page.route) without handing them to the runtime.
//
// Run by test_browser.sh, which builds the registry, starts `slmctl serve`
// and computes the native outputs. Environment:
//   BASE_URL        the server's URL (http://127.0.0.1:PORT/)
//   CASES           JSON file: [{name, model, prompt, maxTokens, temperature, seed,
//                   native: <slmctl run --json>}], names greedy, sampled, long
//   BROWSER_MODULES node_modules folder holding playwright-core
//   CHROMIUM        the browser (default /usr/bin/chromium)
//   OUT_DIR         where the screenshots go
//   APP_SOURCE_DIR  optional: the app's source folder; the served files must equal it
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const BASE = new URL(env.BASE_URL);
const cases = Object.fromEntries(JSON.parse(readFileSync(env.CASES, 'utf8')).map((c) => [c.name, c]));
const { chromium } = createRequire(join(env.BROWSER_MODULES, 'x.js'))('playwright-core');
const OUT_DIR = env.OUT_DIR;
mkdirSync(OUT_DIR, { recursive: true });

let passed = 0;
let failed = 0;
function check(what, cond, detail = '') {
  if (cond) {
    passed++;
    console.log(`ok - ${what}`);
  } else {
    failed++;
    console.log(`FAIL: ${what}${detail ? `\n  ${detail}` : ''}`);
  }
  return cond;
}
const show = (v) => JSON.stringify(v)?.slice(0, 300);
function same(what, got, want) {
  return check(what, got === want, `got ${show(got)}\n  want ${show(want)}`);
}

// Page console errors, uncaught exceptions and failed requests all fail the test.
const problems = [];

const deadline = setTimeout(() => {
  console.log('FAIL: the browser test did not finish within 90 s');
  process.exit(1);
}, 90_000);

const t0 = Date.now();
const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu'],
});

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`uncaught exception: ${e.message}`));
  page.on('crash', () => problems.push('the page crashed'));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`); });
  context.on('weberror', (e) => problems.push(`web error: ${e.error().message}`));
  try {
    await run(page);
  } catch (err) {
    check('the test ran to its end', false, err.stack);
    await page.screenshot({ path: join(OUT_DIR, 'browser-failure.png'), fullPage: true }).catch(() => {});
  }
} finally {
  await browser.close();
  clearTimeout(deadline);
}

check('no console errors, uncaught exceptions or failed requests', problems.length === 0, problems.join('\n  '));
console.log(`browser: ${passed} checks passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
process.exit(failed === 0 ? 0 : 1);

// ---------------------------------------------------------------------------

async function run(page) {
  // The files the server sends are the app's sources (not a stale build).
  if (env.APP_SOURCE_DIR) {
    let fresh = true;
    for (const name of readdirSync(env.APP_SOURCE_DIR)) {
      const response = await fetch(new URL(name, BASE));
      const served = Buffer.from(await response.arrayBuffer());
      fresh = check(`served ${name} is apps/web/${name}`,
        response.ok && served.equals(readFileSync(join(env.APP_SOURCE_DIR, name))),
        `slmctl ${response.ok ? 'embeds an older copy' : 'does not embed it'}: rebuild slmctl `
        + '(or serve the sources with SLM_WEB_DIR=apps/web)') && fresh;
    }
    if (!fresh) return;
  }
  const registry = await (await fetch(new URL('/api/models', BASE))).json();
  const entry = (ref) => registry.find((m) => m.reference === ref);

  const state = () => page.evaluate(() => document.body.dataset.state);
  const text = (sel) => page.locator(sel).textContent();
  // Waits for one of states; an unexpected error shows its message.
  const waitState = async (states, timeout = 20_000) => {
    await page.waitForFunction((s) => s.includes(document.body.dataset.state), states, { timeout });
    const s = await state();
    if (s === 'error') console.log(`  (the page shows: ${(await text('#error')).replace(/\s+/g, ' ').trim()})`);
    return s;
  };
  const runtimeDiag = async () => JSON.parse(await text('#runtime-diagnostics'));
  const admittedCount = async () => parseInt(await text('#diag-admitted'), 10);
  const choose = async (ref) => {
    await page.selectOption('#model', ref);
    return waitState(['ready', 'refused', 'error']);
  };

  // Records what the page streams into #output: the text of every added node
  // and the number of separate updates; optionally clicks Cancel as soon as
  // the first piece of text shows.
  const record = (cancelOnFirst = false) => page.evaluate((cancel) => {
    window.__rec?.observer.disconnect();
    const rec = { pieces: [], updates: 0, observer: null };
    const output = document.getElementById('output');
    rec.observer = new MutationObserver((mutations) => {
      let added = false;
      for (const m of mutations) {
        for (const n of m.addedNodes) { rec.pieces.push(n.textContent); added = true; }
      }
      if (!added) return;
      rec.updates++;
      if (cancel && rec.pieces.length === 1) document.getElementById('cancel').click();
    });
    rec.observer.observe(output, { childList: true, subtree: true, characterData: true });
    window.__rec = rec;
  }, cancelOnFirst);
  const recorded = () => page.evaluate(() => ({ pieces: window.__rec.pieces, updates: window.__rec.updates }));

  const settings = async (c) => {
    await page.fill('#prompt', c.prompt);
    await page.fill('#max-tokens', String(c.maxTokens));
    await page.fill('#temperature', String(c.temperature));
    await page.fill('#seed', String(c.seed));
  };

  // A whole generation with case c, compared with its native output.
  const generateAndCompare = async (label, c) => {
    await settings(c);
    await record();
    await page.click('#generate');
    const end = await waitState(['done', 'error', 'cancelled']);
    if (!same(`${label}: the generation finishes`, end, 'done')) {
      console.log(`  error: ${await text('#error')}`);
      return;
    }
    const { pieces, updates } = await recorded();
    const output = await text('#output');
    same(`${label}: the streamed pieces add up to the native text`, pieces.join(''), c.native.text);
    same(`${label}: the final output is the native text`, output, c.native.text);
    check(`${label}: streamed in more than one update (${updates})`, updates > 1);
    same(`${label}: generated token count`, Number(await text('#diag-generated-tokens')), c.native.generated_tokens.length);
    const last = (await runtimeDiag()).last_generation;
    same(`${label}: stop reason`, last?.stop_reason, c.native.stop_reason);
    same(`${label}: prompt token count`, Number(await text('#diag-prompt-tokens')), c.native.prompt_tokens.length);
    check(`${label}: speed shown`, /\d+ tok\/s/.test(await text('#diag-speed')), await text('#diag-speed'));
  };

  // --- start: the model list, and the model asked for in the URL verified and admitted
  const greedy = cases.greedy;
  await page.goto(new URL(`/?model=${encodeURIComponent(greedy.model)}`, BASE).href);
  same('the page starts ready', await waitState(['ready', 'refused', 'error']), 'ready');
  const options = await page.locator('#model option').evaluateAll((os) => os.map((o) => o.value));
  same('#model lists every registry version', options.join(' '), registry.map((m) => m.reference).join(' '));
  same('the chosen model is admitted', await page.evaluate(() => document.body.dataset.model), greedy.model);
  same('the verified digest is the registry digest', await text('#diag-digest'), entry(greedy.model).digest);
  same('the runtime holds the verified model', (await runtimeDiag()).model?.digest, entry(greedy.model).digest);
  check('the lineage comes from the manifest', /made by pack/.test(await text('#diag-lineage')), await text('#diag-lineage'));
  check('labels: every control has one', await page.evaluate(() => ['model', 'prompt', 'max-tokens', 'temperature', 'seed']
    .every((id) => document.querySelector(`label[for="${id}"]`)?.textContent.trim())));

  // --- greedy and seeded sampling: the native text, streamed
  await generateAndCompare('greedy', greedy);
  await page.screenshot({ path: join(OUT_DIR, 'browser-greedy.png'), fullPage: true });

  // --- clear errors for bad input; the model stays usable
  await page.fill('#max-tokens', '0');
  await page.click('#generate');
  same('max tokens 0: an error', await waitState(['error', 'done', 'generating']), 'error');
  check('max tokens 0: the error names the setting', /Max tokens/.test(await text('#error')), await text('#error'));
  same('max tokens 0: the field is marked invalid', await page.getAttribute('#max-tokens', 'aria-invalid'), 'true');
  await page.fill('#max-tokens', '8');
  await page.fill('#prompt', 'x'.repeat(200));
  await page.click('#generate');
  same('a prompt longer than the context: an error', await waitState(['error', 'done']), 'error');
  check('... that says why', /E_BAD_PROMPT.*context/.test(await text('#error')), await text('#error'));
  same('... and Generate stays enabled', await page.locator('#generate').isEnabled(), true);

  const sampled = cases.sampled;
  same(`${sampled.model} is admitted`, await choose(sampled.model), 'ready');
  check('the lineage names the parent version', (await text('#diag-lineage')).includes(`input-model: slm ${cases.long.model}`),
    await text('#diag-lineage'));
  await generateAndCompare('sampled', sampled);
  const used = (await runtimeDiag()).options;
  check('sampled: the runtime used the settings', used.max_tokens === sampled.maxTokens && used.seed === sampled.seed
    && Math.abs(used.temperature - sampled.temperature) < 1e-6 && used.top_k === 0 && used.top_p === 1, show(used));

  // --- cancel: Cancel clicked when the first text shows stops the generation
  const long = cases.long;
  same(`${long.model} is admitted`, await choose(long.model), 'ready');
  await settings(long);
  await record(true);
  await page.click('#generate');
  same('cancel: the generation ends cancelled', await waitState(['done', 'error', 'cancelled']), 'cancelled');
  const cancelledText = await text('#output');
  const cancelledCount = Number(await text('#diag-generated-tokens'));
  const full = long.native.generated_tokens.length;
  check(`cancel: stopped early (${cancelledCount} of ${full} tokens)`, cancelledCount >= 1 && cancelledCount < Math.min(full, 20));
  check('cancel: the output so far is a prefix of the native text', long.native.text.startsWith(cancelledText)
    && cancelledText.length > 0 && cancelledText.length < long.native.text.length, show(cancelledText));
  same('cancel: the streamed pieces are the output', (await recorded()).pieces.join(''), cancelledText);
  check('cancel: the status says so', /Cancelled after \d+ tokens/.test(await text('#status')), await text('#status'));
  same('cancel: the runtime is no longer generating', (await runtimeDiag()).generating, false);
  await page.waitForTimeout(300);
  same('cancel: nothing more arrives', await text('#output'), cancelledText);
  same('cancel: Cancel is disabled again', await page.locator('#cancel').isDisabled(), true);
  // The runtime is still fine: the whole generation now matches native.
  await generateAndCompare('after cancel (greedy, to the context limit)', long);

  // --- tampering in flight: the runtime never receives the bytes
  const refusedCheck = async (label, ref, pattern, trigger) => {
    const before = await admittedCount();
    const hits = await trigger();
    same(`${label}: the model is refused`, await choose(ref), 'refused');
    check(`${label}: the interception happened`, hits() > 0);
    const error = await text('#error');
    check(`${label}: #error is visible`, await page.locator('#error').isVisible());
    check(`${label}: the error names the digest mismatch`, /digest mismatch/.test(error) && pattern.test(error), error);
    same(`${label}: nothing handed to the runtime`, await admittedCount(), before);
    same(`${label}: the runtime holds no model`, (await runtimeDiag()).model, null);
    same(`${label}: nothing is admitted`, await page.evaluate(() => document.body.dataset.model), '');
    same(`${label}: Generate is disabled`, await page.locator('#generate').isDisabled(), true);
    await page.unrouteAll();
  };
  const withoutLength = (headers) => Object.fromEntries(Object.entries(headers)
    .filter(([k]) => k.toLowerCase() !== 'content-length'));
  // Only this page's fetch of the model is intercepted; the route sees the real bytes first.
  const routeModel = (ref, change) => async () => {
    let hits = 0;
    await page.route((url) => url.pathname === entry(ref).url, async (route) => {
      hits++;
      const response = await route.fetch();
      const body = change(Buffer.from(await response.body()));
      await route.fulfill({ status: response.status(), headers: withoutLength(response.headers()), body });
    });
    return () => hits;
  };

  same(`${sampled.model} is admitted again`, await choose(sampled.model), 'ready');
  await refusedCheck('a flipped byte', long.model, /registry lists/, routeModel(long.model, (b) => {
    b[b.length >> 1] ^= 0x01;
    return b;
  }));
  await page.screenshot({ path: join(OUT_DIR, 'browser-refused.png'), fullPage: true });

  // A different, valid model in its place: the runtime's own checks would
  // accept it; only the digest comparison catches it.
  const substitute = Buffer.from(await (await fetch(new URL(entry(sampled.model).url, BASE))).arrayBuffer());
  same(`${sampled.model} is admitted again`, await choose(sampled.model), 'ready');
  await refusedCheck('another valid model', long.model, /registry lists/, routeModel(long.model, () => substitute));

  // The manifest altered: its artifact digest no longer matches the bytes.
  same(`${sampled.model} is admitted again`, await choose(sampled.model), 'ready');
  await refusedCheck('a tampered manifest', greedy.model, /manifest records/, async () => {
    let hits = 0;
    await page.route((url) => url.pathname === entry(greedy.model).manifest_url, async (route) => {
      hits++;
      const response = await route.fetch();
      const manifest = await response.json();
      manifest.artifact.digest = `sha256:${'0'.repeat(64)}`;
      await route.fulfill({ status: response.status(), headers: withoutLength(response.headers()),
        body: JSON.stringify(manifest) });
    });
    return () => hits;
  });

  // --- untampered again: admitted, and it runs
  same(`${greedy.model} is admitted after the refusals`, await choose(greedy.model), 'ready');
  check('the error is gone', await page.locator('#error').isHidden());
  await generateAndCompare('greedy again', greedy);
}
