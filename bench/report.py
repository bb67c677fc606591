"""Turns bench/run.sh results (JSON lines) into docs/benchmarks.md."""
import json
import os
import platform
import subprocess
import sys


def machine():
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(open("/proc/meminfo").readline().split()[1]) // (1024 * 1024)
    flags = open("/proc/cpuinfo").read()
    simd = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni") if f" {f} " in flags or f" {f}\n" in flags]
    return f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM, {platform.system()} {platform.release()}, SIMD: {' '.join(simd)}"


def l3_size():
    """The last-level cache as the kernel reports it for CPU 0, e.g. '32 MiB'."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        last = max((d for d in os.listdir(base) if d.startswith("index")), key=lambda d: int(d[5:]))
        size = open(os.path.join(base, last, "size")).read().strip()
    except (OSError, ValueError):
        return "unknown"
    if size.endswith("K") and int(size[:-1]) >= 1024:
        return f"{int(size[:-1]) // 1024} MiB"
    return size


rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
runs = [r for r in rows if r["kind"] == "run"]
KV_BYTES = 2 * 6 * 256 * 288 * 4  # keys and values: layers x context x kv_dim f32
print("# Benchmarks\n")
print("Produced by `bench/run.sh` (numbers are measured, never typed in); rerun it to refresh.\n")
print(f"Machine: {machine()}.  ")
print("Model: stories15M-shaped (dim 288, 6 layers, 6 heads, FFN 768, vocab 32000, "
      "context 256, tied output), random fixed-seed weights; 128 greedy tokens after a short prompt; "
      "best of several runs.\n")
print("## Generation\n")
print("Activations: `f32` (default) or `q8_0` (`--activations q8_0`: int8 activations for q8_0/q4_0 "
      "matrices, as llama.cpp). Peak RSS budget: file + KV cache (3.4 MiB) + 16 MiB.\n")
print("| dtype | activations | file | threads | decode tok/s | prefill tok/s | load ms | peak RSS | "
      "RSS budget | kernel |")
print("|---|---|---|---|---|---|---|---|---|---|")
base = {}
for m in ("f32", "q8_0", "q4_0"):
    for act in ("f32", "q8_0"):
        for t in (1, 2):
            sel = [r for r in runs if r["model"] == m and r["threads"] == t and r.get("activations", "f32") == act]
            if not sel:
                continue
            best = max(sel, key=lambda r: r["decode_tok_s"])
            base[(m, act, t)] = best["decode_tok_s"]
            rss = min(r["peak_rss_bytes"] for r in sel)
            budget = best["bytes"] + KV_BYTES + 16 * 2**20
            print(f"| {m} | {act} | {best['bytes'] / 2**20:.1f} MiB | {t} | {best['decode_tok_s']:.0f} | "
                  f"{max(r['prefill_tok_s'] for r in sel):.0f} | {min(r['load_ms'] for r in sel):.1f} | "
                  f"{rss / 2**20:.1f} MiB | {budget / 2**20:.1f} MiB {'ok' if rss <= budget else 'OVER'} | "
                  f"{best['kernel']}{', packed' if best.get('packed_bytes', 0) else ''} |")
print("\nDecoding reads every weight once per token; below, the rate at which each row does so stands beside "
      "the machine's memory read bandwidth measured in the same run. On a virtual machine that shares memory "
      "bandwidth and cache with other tenants, tok/s vary from run to run and the 2-thread gain depends on the "
      "host's load at that moment (see runtime.md, Threads).")
print("\nRatios (same run):\n")
for (m, act, t), v in base.items():
    if t == 1 and (m, act, 2) in base:
        print(f"- {m}, {act} activations: 2 threads / 1 thread = {base[(m, act, 2)] / v:.2f}x")
bandwidth = [r for r in rows if r["kind"] == "bandwidth"]
if bandwidth:
    one = max(r["gb_s_1"] for r in bandwidth)
    two = max(r["gb_s_2"] for r in bandwidth)
    print(f"- memory read bandwidth (`bench_quant --bandwidth`, 256 MiB, best of the run): 1 thread {one:.1f} GB/s, "
          f"2 threads {two:.1f} GB/s = {two / one:.2f}x; decoding reads every weight once per token, at "
          "(file size x tok/s):")
    for (m, act, t), v in base.items():
        size = next(r["bytes"] for r in runs if r["model"] == m)
        print(f"  - {m}, {act} activations, {t} thread{'s' if t > 1 else ''}: weights read at "
              f"{size * v / 1e9:.1f} GB/s")
for m in ("q8_0", "q4_0"):
    for act in ("f32", "q8_0"):
        if (m, act, 1) in base and ("f32", "f32", 1) in base:
            print(f"- {m}, {act} activations vs f32, 1 thread: {base[(m, act, 1)] / base[('f32', 'f32', 1)]:.2f}x "
                  f"(file {next(r['bytes'] for r in runs if r['model'] == 'f32') / next(r['bytes'] for r in runs if r['model'] == m):.2f}x smaller)")
prefill = [r for r in rows if r["kind"] == "prefill"]
if prefill:
    print("\n## Prefill\n")
    print(f"A prompt of {len(prefill[0]['prompt_tokens'])} "
          "tokens, fed one position at a time (`--batch-size 1`) and in batches of 32 positions "
          "(the default: each weight tile is read once per batch); both give the same logits bit for bit.\n")
    print("Batching pays where weights stream from memory. The layers of a token weigh 22.8 MiB in f32, "
          f"6.4 MiB in q8_0 and 3.6 MiB in q4_0; this machine's last-level cache is {l3_size()}. "
          "Layers that stay cached between positions gain less, since one-at-a-time prefill skips the logits "
          "product for all but the last position and so already reads them from cache; how much varies from "
          "run to run with the host's load.\n")
    print("| dtype | activations | threads | one at a time tok/s | batches of 32 tok/s | gain |")
    print("|---|---|---|---|---|---|")
    for m in ("f32", "q8_0", "q4_0"):
        for act in ("f32", "q8_0"):
            for t in (1, 2):
                one = [r["prefill_tok_s"] for r in prefill
                       if r["model"] == m and r["activations"] == act and r["threads"] == t and r["batch"] == 1]
                many = [r["prefill_tok_s"] for r in prefill
                        if r["model"] == m and r["activations"] == act and r["threads"] == t and r["batch"] == 32]
                if one and many:
                    print(f"| {m} | {act} | {t} | {max(one):.0f} | {max(many):.0f} | {max(many) / max(one):.2f}x |")
kernel_rows = [r for r in rows if r["kind"] == "kernel_set"]
if kernel_rows:
    print("\n## Kernel sets\n")
    print("Every kernel set this CPU supports (`--kernel`), one thread, the same 128 tokens; q8_0/q4_0 with "
          "int8 activations. The rows above use `auto`: the best of them, the last row. q8_0/q4_0 read packed "
          "copies of the matrices (quantization.md, \"Packed matrices\"), or with `--no-repack` the file's "
          "rows through the row kernels.\n")
    sets = list(dict.fromkeys(r["kernel"] for r in kernel_rows))
    file_rows = [r for r in rows if r["kind"] == "kernel_set_rows"]
    print("| kernels | f32 tok/s | q8_0 tok/s | q4_0 tok/s | q8_0 --no-repack | q4_0 --no-repack |")
    print("|---|---|---|---|---|---|")
    for k in sets:
        cells = []
        for source, models in ((kernel_rows, ("f32", "q8_0", "q4_0")), (file_rows, ("q8_0", "q4_0"))):
            for m in models:
                sel = [r["decode_tok_s"] for r in source if r["kernel"] == k and r["model"] == m]
                cells.append(f"{max(sel):.0f}" if sel else "-")
        print(f"| {k} | " + " | ".join(cells) + " |")
kv_rows = [r for r in rows if r["kind"] == "kv_cache"]
if kv_rows:
    print("\n## KV cache type\n")
    print("`--kv-cache f32` (default) against `f16`, one thread, 250 tokens after the short prompt "
          "(q4_0 with int8 activations); peak RSS is the smallest of the runs.\n")
    print("| dtype | KV cache | decode tok/s | peak RSS |")
    print("|---|---|---|---|")
    for m in ("f32", "q4_0"):
        for kv in ("f32", "f16"):
            sel = [r for r in kv_rows if r["model"] == m and r.get("kv_cache") == kv]
            if sel:
                print(f"| {m} | {kv} | {max(r['decode_tok_s'] for r in sel):.0f} | "
                      f"{min(r['peak_rss_bytes'] for r in sel) / 2**20:.1f} MiB |")
wasm = [r for r in rows if r["kind"] == "wasm"]
if wasm:
    node = wasm[0].get("node", "")
    print("\n## WebAssembly runtime (Node.js)\n")
    print(f"`slm_runtime.wasm` in Node.js {node} (SIMD128 kernels, one thread), the same 128 tokens; "
          "ratio to the native 1-thread row of the same run.\n")
    print("| dtype | activations | decode tok/s | prefill tok/s | native 1 thread | wasm / native |")
    print("|---|---|---|---|---|---|")
    for m in ("f32", "q8_0", "q4_0"):
        for act in ("f32", "q8_0"):
            sel = [r for r in wasm if r["model"] == m and r["activations"] == act]
            if not sel or (m, act, 1) not in base:
                continue
            best = max(r["decode_tok_s"] for r in sel)
            print(f"| {m} | {act} | {best:.0f} | {max(r['prefill_tok_s'] for r in sel):.0f} | "
                  f"{base[(m, act, 1)]:.0f} | {best / base[(m, act, 1)]:.2f}x |")
print("\n## Quantize and verify\n")
print("| operation | input | MB/s | vs sha256sum |")
print("|---|---|---|---|")
for r in rows:
    if r["kind"] not in ("quantize", "verify"):
        continue
    mb = r["bytes"] / 1e6
    if r["kind"] == "quantize":
        print(f"| quantize f32 -> {r['dtype']} (whole command: verify, hash, convert, write) | {mb:.1f} MB | "
              f"{mb / r['seconds']:.0f} | |")
    if r["kind"] == "verify":
        print(f"| verify {r['model']} (structure, XXH64, SHA-256) | {mb:.1f} MB | {mb / r['seconds']:.0f} | "
              f"{r['sha256sum_seconds'] / r['seconds']:.2f}x the speed of sha256sum |")
print("\nProcess start-up is included in every timing, which dominates for files this small.")
kernels = [r for r in rows if r["kind"] == "quantize_kernel"]
if kernels:
    print("\nThe conversion alone (`bench_quant --quantizers`: the weight quantizers on 16 MiB of f32 in memory, "
          "one thread; bytes identical to ggml's reference quantizers for every kernel set):\n")
    print("| quantizer | kernels | GB/s of f32 input per core |")
    print("|---|---|---|")
    for r in kernels:
        print(f"| {r['dtype']} | {r['kernel']} | {r['bytes'] / r['seconds'] / 1e9:.2f} |")
