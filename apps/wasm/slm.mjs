// ES-module loader for slm_runtime.wasm, for Node.js and browsers (no
// framework, no build step). The C ABI it wraps is docs/wasm-abi.md.
//
//   import { loadRuntime } from './slm.mjs';
//   const rt = await loadRuntime(new URL('./slm_runtime.wasm', import.meta.url));
//   rt.loadModel(bytes);                       // Uint8Array of a .slm file
//   rt.configure({ maxTokens: 32, temperature: 0.8, seed: 7 });
//   const { text, tokens } = rt.generate('Once upon a time');
//   for (const { token, text } of rt.stream('Hello')) ...
//
// Every failed call throws SlmError with the ABI's status code, its name and
// the runtime's message; the runtime stays usable afterwards.

export const STATUS = Object.freeze({
  OK: 0,
  STEP_TOKEN: 1,
  E_NO_MODEL: -1,
  E_BAD_ARGUMENT: -2,
  E_BAD_UTF8: -3,
  E_BAD_OPTION: -4,
  E_BAD_MODEL: -5,
  E_UNSUPPORTED: -6,
  E_BAD_PROMPT: -7,
  E_OUT_OF_MEMORY: -8,
  E_NO_GENERATION: -9,
  E_INTERNAL: -10,
});

// slm_set_flags() bits.
export const FLAGS = Object.freeze({ IGNORE_EOS: 1, INT8_ACTIVATIONS: 2 });

const STATUS_NAMES = new Map(Object.entries(STATUS).map(([name, code]) => [code, name]));

export class SlmError extends Error {
  constructor(code, message) {
    super(message || `slm runtime error ${code}`);
    this.name = 'SlmError';
    this.code = code;
    this.status = STATUS_NAMES.get(code) || 'E_UNKNOWN';
  }
}

// The seven WASI calls libc makes (clock, environment, stderr, exit); no
// file system and no other capability is given to the module.
function wasiImports(env, getMemory) {
  const encoder = new TextEncoder();
  const vars = Object.entries(env).map(([k, v]) => encoder.encode(`${k}=${v}\0`));
  const view = () => new DataView(getMemory().buffer);
  const bytes = () => new Uint8Array(getMemory().buffer);
  const ERRNO_BADF = 8;
  let stderrLine = '';
  return {
    environ_sizes_get(countPtr, sizePtr) {
      view().setUint32(countPtr, vars.length, true);
      view().setUint32(sizePtr, vars.reduce((n, v) => n + v.length, 0), true);
      return 0;
    },
    environ_get(environPtr, bufPtr) {
      for (const v of vars) {
        view().setUint32(environPtr, bufPtr, true);
        bytes().set(v, bufPtr);
        environPtr += 4;
        bufPtr += v.length;
      }
      return 0;
    },
    clock_time_get(id, _precision, outPtr) {
      const ns = id === 0 ? BigInt(Date.now()) * 1000000n
        : BigInt(Math.round(performance.now() * 1e6));
      view().setBigUint64(outPtr, ns, true);
      return 0;
    },
    fd_write(fd, iovs, iovsLen, writtenPtr) {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      let written = 0;
      const decoder = new TextDecoder();
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view().getUint32(iovs + 8 * i, true);
        const len = view().getUint32(iovs + 8 * i + 4, true);
        stderrLine += decoder.decode(bytes().subarray(ptr, ptr + len));
        written += len;
      }
      const lines = stderrLine.split('\n');
      stderrLine = lines.pop();
      for (const line of lines) console.error(line);
      view().setUint32(writtenPtr, written, true);
      return 0;
    },
    fd_close: () => ERRNO_BADF,
    fd_seek: () => ERRNO_BADF,
    proc_exit(code) {
      throw new SlmError(STATUS.E_INTERNAL, `the runtime exited (status ${code})`);
    },
  };
}

async function compile(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    return WebAssembly.compile(await source.arrayBuffer());
  }
  const url = source instanceof URL ? source : new URL(String(source), globalThis.location?.href);
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

// source: URL (http(s) or file), path string, bytes, Response or a compiled
// WebAssembly.Module. options.env: environment variables for the runtime,
// e.g. { SLM_KERNEL: 'scalar' } to force the portable kernels.
export async function loadRuntime(source, options = {}) {
  const module = await compile(source);
  let memory = null;
  const instance = await WebAssembly.instantiate(module, {
    wasi_snapshot_preview1: wasiImports(options.env || {}, () => memory),
  });
  memory = instance.exports.memory;
  instance.exports._initialize();
  return new Runtime(instance.exports);
}

export class Runtime {
  constructor(exports) {
    this.exports = exports;  // the raw C ABI, for callers that need it
    this.abiVersion = exports.slm_abi_version();
  }

  // Throws SlmError for a negative status; returns the status otherwise.
  check(status) {
    if (status >= 0) return status;
    throw new SlmError(status, this.lastError());
  }

  lastError() {
    const e = this.exports;
    return new TextDecoder().decode(this.#bytes(e.slm_last_error_ptr(), e.slm_last_error_len()));
  }

  // Copies the model in; the previous model stays loaded if this one fails.
  loadModel(bytes) {
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    this.#withBuffer(data, (ptr, len) => this.check(this.exports.slm_load_model(ptr, len)));
  }

  releaseModel() { this.check(this.exports.slm_release_model()); }

  reset() { this.check(this.exports.slm_reset()); }

  // activations: 'f32' (default) or 'q8_0' (quantized models only, as
  // `slmctl run --activations q8_0`); ignoreEos: run to maxTokens.
  configure({ maxTokens = 64, temperature = 0, topK = 0, topP = 1, repeatPenalty = 1, seed = 0,
              ignoreEos = false, activations = 'f32' } = {}) {
    if (activations !== 'f32' && activations !== 'q8_0')
      throw new SlmError(STATUS.E_BAD_OPTION, `activations must be 'f32' or 'q8_0', got ${activations}`);
    const flags = (ignoreEos ? FLAGS.IGNORE_EOS : 0) | (activations === 'q8_0' ? FLAGS.INT8_ACTIVATIONS : 0);
    this.check(this.exports.slm_configure(maxTokens >>> 0, temperature, topK | 0, topP, repeatPenalty, seed));
    this.check(this.exports.slm_set_flags(flags));
  }

  // The whole generation at once: { text, tokens }.
  generate(prompt) {
    this.#withText(prompt, (ptr, len) => this.check(this.exports.slm_generate(ptr, len)));
    return { text: this.#resultText(), tokens: this.#tokens() };
  }

  // One token at a time: yields { token, text } (text may be '' while a UTF-8
  // character is incomplete), then a last { token: null, text } with what was
  // held back. Stop early with reset() (or by leaving the loop).
  *stream(prompt) {
    this.#withText(prompt, (ptr, len) => this.check(this.exports.slm_begin(ptr, len)));
    let completed = false;
    try {
      for (;;) {
        const status = this.check(this.exports.slm_step());
        if (status === STATUS.OK) {
          completed = true;
          yield { token: null, text: this.#resultText() };
          return;
        }
        const tokens = this.#tokens();
        yield { token: tokens[tokens.length - 1], text: this.#resultText() };
      }
    } finally {
      if (!completed) this.exports.slm_reset();
    }
  }

  diagnostics() {
    this.check(this.exports.slm_diagnostics());
    return JSON.parse(this.#resultText());
  }

  #bytes(ptr, len) {
    return new Uint8Array(this.exports.memory.buffer, ptr, len);
  }

  #resultText() {
    const e = this.exports;
    return new TextDecoder().decode(this.#bytes(e.slm_result_ptr(), e.slm_result_len()));
  }

  #tokens() {
    const e = this.exports;
    return Array.from(new Uint32Array(e.memory.buffer, e.slm_tokens_ptr(), e.slm_tokens_len()));
  }

  #withText(text, fn) {
    if (typeof text !== 'string') throw new TypeError('the prompt must be a string');
    return this.#withBuffer(new TextEncoder().encode(text), fn);
  }

  #withBuffer(data, fn) {
    const ptr = this.exports.slm_alloc(data.length);
    if (ptr === 0) throw new SlmError(STATUS.E_OUT_OF_MEMORY, `no room for ${data.length} bytes`);
    try {
      this.#bytes(ptr, data.length).set(data);
      return fn(ptr, data.length);
    } finally {
      this.exports.slm_free(ptr);
    }
  }
}
