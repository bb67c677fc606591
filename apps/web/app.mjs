// The page: lists the registry's models, verifies the chosen one (SHA-256 of
// the downloaded bytes against the digest /api/models lists and the artifact
// digest in its manifest) before the runtime ever sees it, and streams
// generations from the worker (worker.mjs) into #output.
//
// document.body.dataset.state (mirrored on #status) is one of
//   loading | ready | generating | done | cancelled | error | refused
// and document.body.dataset.model names the admitted model (empty when none).

const $ = (id) => document.getElementById(id);
const el = {
  status: $('status'), error: $('error'), errorTitle: $('error-title'), errorMessage: $('error-message'),
  form: $('run-form'), model: $('model'), modelInfo: $('model-info'), prompt: $('prompt'),
  maxTokens: $('max-tokens'), temperature: $('temperature'), seed: $('seed'),
  generate: $('generate'), cancel: $('cancel'), output: $('output'),
  diagModel: $('diag-model'), diagDigest: $('diag-digest'), diagLineage: $('diag-lineage'),
  diagPromptTokens: $('diag-prompt-tokens'), diagGeneratedTokens: $('diag-generated-tokens'),
  diagSpeed: $('diag-speed'), diagAdmitted: $('diag-admitted'), runtimeDiagnostics: $('runtime-diagnostics'),
};

let worker = null;
let workerDead = false;
let models = [];       // /api/models
let admitted = null;   // { entry, digest, manifest } once the runtime holds the verified model
let loading = false;
let gen = null;        // the generation in progress: { id, tokens, started, cancelling }
let nextId = 1;
const pending = new Map();  // request id -> { resolve, reject }

// ---------------------------------------------------------------- state

function setState(state, message) {
  document.body.dataset.state = state;
  el.status.dataset.state = state;
  el.status.textContent = message;
  el.model.disabled = loading || !!gen || workerDead || models.length === 0;
  el.generate.disabled = !admitted || !!gen || loading || workerDead;
  el.cancel.disabled = !gen || gen.cancelling;
  el.output.setAttribute('aria-busy', gen ? 'true' : 'false');
}

function showError(title, message) {
  el.errorTitle.textContent = title;
  el.errorMessage.textContent = message;
  el.error.hidden = false;
}

function clearError() {
  el.error.hidden = true;
  el.errorTitle.textContent = '';
  el.errorMessage.textContent = '';
  for (const input of [el.maxTokens, el.temperature, el.seed]) input.removeAttribute('aria-invalid');
}

function fail(title, message, state = 'error') {
  showError(title, message);
  setState(state, `${title}.`);
}

// ---------------------------------------------------------------- formatting

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const short = (digest) => (typeof digest === 'string' ? digest.slice(0, 19) + '…' : String(digest));

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

// diagnostics: the worker's { runtime, worker } report.
function showRuntime(diagnostics) {
  el.runtimeDiagnostics.textContent = JSON.stringify(diagnostics.runtime, null, 2);
  const n = diagnostics.worker.models_received;
  el.diagAdmitted.textContent = `${n} model${n === 1 ? '' : 's'} handed to the runtime since the page loaded`;
}

function item(parent, text, title) {
  const li = document.createElement('li');
  li.textContent = text;
  if (title) li.title = title;
  parent.append(li);
  return li;
}

// The manifest's lineage: the operator that made this version, its parents
// (named by their registry reference when the registry holds them) and the
// data lineage of the risk profile. Manifest text only ever goes into
// textContent.
function renderLineage(manifest) {
  const list = document.createElement('ul');
  list.className = 'lineage';
  const params = manifest.operator_parameters && typeof manifest.operator_parameters === 'object'
    ? Object.entries(manifest.operator_parameters).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`)
    : [];
  item(list, `made by ${manifest.operator || 'an unknown operator'}${params.length ? ` (${params.join(', ')})` : ''}`);
  for (const parent of Array.isArray(manifest.parents) ? manifest.parents : []) {
    const known = models.find((m) => m.digest === parent.digest);
    const what = `${parent.role || 'parent'}: ${parent.format || '?'} ${known ? known.reference : short(parent.digest)}`;
    item(list, what, String(parent.digest));
  }
  if (!manifest.parents?.length) item(list, 'no parents recorded');
  const risk = manifest.risk_profile || {};
  if (risk.data_lineage) item(list, `data: ${risk.data_lineage}${risk.license ? `, ${risk.license}` : ''}`);
  if (manifest.created_by) item(list, `created by ${manifest.created_by}`);
  el.diagLineage.replaceChildren(list);
}

function resetDiagnostics(entry) {
  el.diagModel.textContent = entry ? `${entry.reference} (${entry.stage}, ${formatBytes(entry.size)})` : '—';
  el.diagDigest.textContent = '—';
  el.diagDigest.className = 'mono';
  el.diagLineage.textContent = '—';
  el.diagPromptTokens.textContent = '—';
  el.diagGeneratedTokens.textContent = '—';
  el.diagSpeed.textContent = '—';
}

// ---------------------------------------------------------------- worker

function onWorkerMessage({ data: msg }) {
  if (gen && msg.id === gen.id) {
    onGeneration(msg);
    return;
  }
  const waiter = pending.get(msg.id);
  if (!waiter) return;
  pending.delete(msg.id);
  if (msg.type === 'error') waiter.reject(new Error(`${msg.status}: ${msg.message}`));
  else waiter.resolve(msg);
}

function onWorkerDied(message) {
  workerDead = true;
  admitted = null;
  gen = null;
  document.body.dataset.model = '';
  for (const waiter of pending.values()) waiter.reject(new Error(message));
  pending.clear();
  fail('The runtime stopped', `${message} Reload the page to start again.`);
}

function startWorker() {
  return new Promise((resolve, reject) => {
    let started = false;
    worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
    worker.onmessage = (event) => {
      const msg = event.data;
      if (!started && msg.type === 'ready') {
        started = true;
        worker.onmessage = onWorkerMessage;
        resolve(msg.diagnostics);
      } else if (!started && msg.type === 'fatal') {
        started = true;
        workerDead = true;
        reject(new Error(msg.message));
      }
    };
    worker.onmessageerror = () => onWorkerDied('A message from the runtime could not be read.');
    worker.onerror = (event) => {
      event.preventDefault();
      const message = event.message || 'the worker script could not be loaded';
      if (!started) {
        started = true;
        workerDead = true;
        reject(new Error(message));
      } else {
        onWorkerDied(`The worker failed: ${message}.`);
      }
    };
  });
}

function request(type, fields = {}, transfer = []) {
  if (workerDead) return Promise.reject(new Error('the runtime is not running'));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ type, id, ...fields }, transfer);
  });
}

// ---------------------------------------------------------------- network

async function describeFailure(response) {
  let detail = `HTTP ${response.status}`;
  try {
    const body = await response.json();
    if (body?.error?.message) detail += `: ${body.error.message}`;
  } catch { /* not JSON */ }
  return detail;
}

async function getJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: ${await describeFailure(response)}`);
  return response.json();
}

async function getBytes(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: ${await describeFailure(response)}`);
  return new Uint8Array(await response.arrayBuffer());
}

// ---------------------------------------------------------------- admission

// Everything that must hold before the bytes may run; an empty list admits.
function verify(entry, manifest, digest) {
  const problems = [];
  const mismatches = [];
  if (digest !== entry.digest) mismatches.push(`the registry lists ${entry.digest}`);
  const recorded = manifest?.artifact?.digest;
  if (!recorded) problems.push('The manifest records no artifact digest.');
  else if (digest !== recorded) mismatches.push(`the manifest records ${recorded}`);
  if (mismatches.length) problems.unshift(`The downloaded bytes hash to ${digest}, but ${mismatches.join(' and ')}.`);
  if (manifest?.name !== entry.name || manifest?.version !== entry.version) {
    problems.push(`The manifest describes ${manifest?.name}:${manifest?.version}, not ${entry.reference}.`);
  }
  return problems;
}

let admitSeq = 0;

async function admit(reference) {
  const seq = ++admitSeq;
  const entry = models.find((m) => m.reference === reference);
  admitted = null;
  loading = true;
  document.body.dataset.model = '';
  clearError();
  el.output.replaceChildren();
  resetDiagnostics(entry);
  el.modelInfo.textContent = '';
  setState('loading', `Fetching ${reference}…`);
  try {
    // The runtime lets go of the previous model first: whatever happens
    // next, it holds either this verified model or none.
    showRuntime((await request('release')).diagnostics);
    const [manifest, bytes] = await Promise.all([getJson(entry.manifest_url), getBytes(entry.url)]);
    if (seq !== admitSeq) return;
    if (manifest.description) el.modelInfo.textContent = manifest.description;
    renderLineage(manifest);
    setState('loading', `Verifying ${reference}…`);
    const digest = `sha256:${hex(await crypto.subtle.digest('SHA-256', bytes))}`;
    if (seq !== admitSeq) return;
    el.diagDigest.textContent = digest;
    const problems = verify(entry, manifest, digest);
    if (problems.length) {
      el.diagDigest.className = 'mono bad';
      el.diagDigest.title = 'does not match: the model was refused';
      loading = false;
      fail(`Refused ${reference}: digest mismatch`,
        `${problems.join(' ')} The model was not loaded; the download may have been corrupted or tampered with.`,
        'refused');
      return;
    }
    setState('loading', `Loading ${reference} into the runtime…`);
    const reply = await request('load', { bytes: bytes.buffer }, [bytes.buffer]);
    if (seq !== admitSeq) return;
    showRuntime(reply.diagnostics);
    const loaded = reply.diagnostics.runtime.model?.digest;
    if (loaded !== digest) throw new Error(`the runtime reports ${loaded} for the model it loaded, not ${digest}`);
    admitted = { entry, digest, manifest };
    el.diagDigest.className = 'mono good';
    el.diagDigest.title = 'matches the registry and the manifest';
    loading = false;
    document.body.dataset.model = reference;
    setState('ready', `${reference} verified and loaded.`);
  } catch (err) {
    if (seq !== admitSeq) return;
    loading = false;
    fail(`Could not load ${reference}`, err.message);
  }
}

// ---------------------------------------------------------------- generation

function readSettings() {
  const integer = (input, name, min, max) => {
    const v = input.valueAsNumber;
    if (!Number.isInteger(v) || v < min || v > max) {
      input.setAttribute('aria-invalid', 'true');
      throw Object.assign(new Error(`${name} must be a whole number from ${min} to ${max}.`), { input });
    }
    return v;
  };
  const maxTokens = integer(el.maxTokens, 'Max tokens', 1, 4096);
  const temperature = el.temperature.valueAsNumber;
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 10) {
    el.temperature.setAttribute('aria-invalid', 'true');
    throw Object.assign(new Error('Temperature must be a number from 0 to 10.'), { input: el.temperature });
  }
  const seed = integer(el.seed, 'Seed', 0, Number.MAX_SAFE_INTEGER);
  return { maxTokens, temperature, seed };
}

function startGeneration() {
  if (!admitted || gen || loading || workerDead) return;
  clearError();
  let options;
  try {
    options = readSettings();
  } catch (err) {
    fail('Invalid setting', err.message);
    err.input?.focus();
    return;
  }
  el.output.replaceChildren();
  el.diagPromptTokens.textContent = '—';
  el.diagGeneratedTokens.textContent = '0';
  el.diagSpeed.textContent = '—';
  gen = { id: nextId++, tokens: 0, started: performance.now(), cancelling: false };
  setState('generating', `Generating with ${admitted.entry.reference}…`);
  worker.postMessage({ type: 'generate', id: gen.id, prompt: el.prompt.value, options });
}

function cancelGeneration() {
  if (!gen || gen.cancelling) return;
  gen.cancelling = true;
  worker.postMessage({ type: 'cancel', id: gen.id });
  setState('generating', 'Cancelling…');
}

function onGeneration(msg) {
  switch (msg.type) {
    case 'token':
      if (msg.text) el.output.append(msg.text);
      gen.tokens = msg.n;
      el.diagGeneratedTokens.textContent = String(msg.n);
      worker.postMessage({ type: 'ack', id: msg.id });
      break;
    case 'done':
    case 'cancelled': {
      if (msg.text) el.output.append(msg.text);
      const wallMs = performance.now() - gen.started;
      gen = null;
      showRuntime(msg.diagnostics);
      const last = msg.diagnostics.runtime.last_generation;
      el.diagGeneratedTokens.textContent = String(msg.generated);
      el.diagPromptTokens.textContent = msg.type === 'done' && last ? String(last.prompt_tokens) : '— (cancelled)';
      // Decode speed: the tokens after the first over the runtime time they
      // took (waits for the page left out); the first token includes the prefill.
      const decodeMs = msg.computeMs - msg.firstMs;
      const tokS = msg.generated > 1 && decodeMs > 0 ? (msg.generated - 1) / (decodeMs / 1000) : null;
      el.diagSpeed.textContent = `${tokS === null ? '—' : tokS.toFixed(0)} tok/s · first token ${msg.firstMs.toFixed(1)} ms`;
      el.diagSpeed.title = `${msg.generated} tokens in ${msg.computeMs.toFixed(1)} ms of compute, `
        + `${wallMs.toFixed(0)} ms on the clock`;
      if (msg.type === 'done') {
        const why = last?.stop_reason ? ` (${last.stop_reason.replace('_', ' ')})` : '';
        setState('done', `Done: ${msg.generated} tokens${why}.`);
      } else {
        setState('cancelled', `Cancelled after ${msg.generated} tokens.`);
      }
      break;
    }
    case 'error':
      gen = null;
      fail('Generation failed', `${msg.status}: ${msg.message}`);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- start

el.form.addEventListener('submit', (event) => {
  event.preventDefault();
  startGeneration();
});
el.prompt.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    startGeneration();
  }
});
el.cancel.addEventListener('click', cancelGeneration);
el.model.addEventListener('change', () => admit(el.model.value));

async function main() {
  setState('loading', 'Starting the WebAssembly runtime and reading the registry…');
  let ready;
  try {
    [ready, models] = await Promise.all([startWorker(), getJson('/api/models')]);
  } catch (err) {
    fail('Could not start', err.message);
    return;
  }
  showRuntime(ready);
  if (!Array.isArray(models) || models.length === 0) {
    models = [];
    fail('No models', 'The registry has no models yet. Add one with `slmctl pack SPEC --add`, then reload.');
    return;
  }
  el.model.replaceChildren(...models.map((m) => {
    const option = document.createElement('option');
    option.value = m.reference;
    const aliases = m.aliases?.length ? `, @${m.aliases.join(' @')}` : '';
    option.textContent = `${m.reference} — ${m.stage}${aliases}, ${formatBytes(m.size)}`;
    return option;
  }));
  const wanted = new URLSearchParams(location.search).get('model');
  el.model.value = models.some((m) => m.reference === wanted) ? wanted : models[0].reference;
  await admit(el.model.value);
}

main();
