// The model runs here, off the page's thread: a module Web Worker holding one
// slm_runtime.wasm instance. The page (app.mjs) hands it model bytes only
// after it has verified their digest.
//
// Messages in (each with a request id):
//   {type:'load', id, bytes}  {type:'release', id}  {type:'diagnostics', id}
//   {type:'generate', id, prompt, options}  {type:'ack', id}  {type:'cancel', id}
// Messages out:
//   {type:'ready', diagnostics}  {type:'fatal', message}     (once, at start)
//   {type:'loaded' | 'released' | 'diagnostics', id, diagnostics}
//   {type:'token', id, token, text, n}                       (one per token)
//   {type:'done' | 'cancelled', id, text, generated, computeMs, firstMs, diagnostics}
//   {type:'error', id, status, message}
// diagnostics = { runtime: <slm_diagnostics JSON>, worker: { models_received } }
//
// Generation goes one token at a time and returns to the event loop between
// tokens, so a 'cancel' is seen before the next token. It also never runs
// more than WINDOW tokens ahead of what the page has acknowledged showing:
// a cancel therefore stops within WINDOW tokens of the text on screen, and a
// slow page is not flooded with messages.
import { loadRuntime, SlmError } from './slm.mjs';

const WINDOW = 4;

let rt = null;
let received = 0;     // models handed to the runtime by this worker
let job = null;       // the generation in progress: { id, cancelled, inflight, wake }

const post = (message) => self.postMessage(message);

function errorMessage(err) {
  return err instanceof SlmError ? { status: err.status, message: err.message }
    : { status: 'E_WORKER', message: String(err?.message || err) };
}

function diagnostics() {
  return { runtime: rt.diagnostics(), worker: { models_received: received } };
}

// Resolves after one trip through the worker's task queue, where pending
// 'cancel' and 'ack' messages are handled.
const channel = new MessageChannel();
function yieldToEventLoop() {
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

function waitForAck(state) {
  return new Promise((resolve) => { state.wake = resolve; });
}

async function generate({ id, prompt, options }) {
  if (job) {
    post({ type: 'error', id, status: 'E_BUSY', message: 'a generation is already running' });
    return;
  }
  const state = { id, cancelled: false, inflight: 0, wake: null };
  job = state;
  let computeMs = 0;  // time spent in the runtime (not waiting for the page)
  let firstMs = 0;    // of which the prefill and the first token
  let generated = 0;
  let it = null;
  try {
    rt.configure(options);
    it = rt.stream(prompt);
    for (;;) {
      if (state.cancelled) {
        it.return();  // abandons the generation (slm_reset)
        post({ type: 'cancelled', id, text: '', generated, computeMs, firstMs, diagnostics: diagnostics() });
        return;
      }
      const t0 = performance.now();
      const { value, done } = it.next();
      computeMs += performance.now() - t0;
      if (generated === 0) firstMs = computeMs;
      if (done || value.token === null) {
        post({ type: 'done', id, text: done ? '' : value.text, generated, computeMs, firstMs, diagnostics: diagnostics() });
        return;
      }
      generated++;
      state.inflight++;
      post({ type: 'token', id, token: value.token, text: value.text, n: generated });
      await yieldToEventLoop();
      while (state.inflight >= WINDOW && !state.cancelled) await waitForAck(state);
    }
  } catch (err) {
    post({ type: 'error', id, ...errorMessage(err) });
  } finally {
    job = null;
  }
}

function wakeJob(id, change) {
  if (!job || job.id !== id) return;
  change(job);
  const wake = job.wake;
  job.wake = null;
  if (wake) wake();
}

self.onmessage = ({ data: msg }) => {
  if (!rt) {
    post({ type: 'error', id: msg.id, status: 'E_NOT_READY', message: 'the runtime is still loading' });
    return;
  }
  try {
    switch (msg.type) {
      case 'load':
        if (job) throw new Error('cannot load a model while generating');
        received++;
        rt.loadModel(new Uint8Array(msg.bytes));
        post({ type: 'loaded', id: msg.id, diagnostics: diagnostics() });
        break;
      case 'release':
        if (job) throw new Error('cannot release the model while generating');
        if (rt.diagnostics().model) rt.releaseModel();
        post({ type: 'released', id: msg.id, diagnostics: diagnostics() });
        break;
      case 'generate':
        generate(msg);
        break;
      case 'ack':
        wakeJob(msg.id, (j) => { j.inflight--; });
        break;
      case 'cancel':
        wakeJob(msg.id, (j) => { j.cancelled = true; });
        break;
      case 'diagnostics':
        post({ type: 'diagnostics', id: msg.id, diagnostics: diagnostics() });
        break;
      default:
        throw new Error(`unknown message type ${JSON.stringify(msg.type)}`);
    }
  } catch (err) {
    post({ type: 'error', id: msg.id, ...errorMessage(err) });
  }
};

try {
  rt = await loadRuntime(new URL('./slm_runtime.wasm', import.meta.url));
  post({ type: 'ready', diagnostics: diagnostics() });
} catch (err) {
  post({ type: 'fatal', message: `the WebAssembly runtime could not be loaded: ${err?.message || err}` });
}
