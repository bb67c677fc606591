"""Registry latency: promote and rollback with 10,000 records in the journal.

Builds a registry with two evaluated versions of the tiny fixture, appends
10,000 alias records to the journal (a valid hash chain, written here the way
slmctl writes it, then checked and adopted by `slmctl fsck`), and times
`slmctl promote` and `slmctl rollback` as whole processes (start-up, lock,
gate with artifact and sidecar verification, fsync'd journal append, view
updates). Prints a Markdown table for docs/benchmarks.md.

  SLMCTL=build/release/apps/slmctl/slmctl SOURCE_DIR=. /usr/bin/python3 bench/registry_bench.py [RECORDS] [RUNS]
"""
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "registry"))
from harness import NAME, journal, make_registry, run  # noqa: E402


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def append_records(root, count):
    """Alias moves of a bench alias between the two versions, chained."""
    path = os.path.join(root, "slmctl/journal.jsonl")
    records = journal(root)
    prev = "sha256:" + hashlib.sha256(open(path, "rb").read().split(b"\n")[-2]).hexdigest()
    seq = len(records)
    current = None
    with open(path, "ab") as f:
        for i in range(count):
            seq += 1
            to = "1.0.0" if i % 2 == 0 else "1.1.0"
            rec = {"actor": "bench", "alias": "bench", "event": "alias", "from": current, "name": NAME,
                   "op": "promote", "prev": prev, "reason": "", "seq": seq, "time": "2026-01-01T00:00:00Z", "to": to}
            line = canonical(rec).encode()
            f.write(line + b"\n")
            prev = "sha256:" + hashlib.sha256(line).hexdigest()
            current = to


def timed(args):
    t = time.perf_counter()
    p = subprocess.run([os.environ["SLMCTL"]] + args, capture_output=True)
    dt = (time.perf_counter() - t) * 1000
    assert p.returncode == 0, p.stderr.decode()
    return dt


def main():
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    work, root, env = make_registry()
    run(["promote", f"{NAME}:1.0.0", "--alias", "champion"])
    append_records(root, records)
    run(["fsck"])  # checks the chain and rolls the views forward
    total = len(journal(root))
    promote, rollback, show, start = [], [], [], []
    for i in range(runs):
        start.append(timed(["--version"]))
        promote.append(timed(["promote", f"{NAME}:1.1.0", "--alias", "champion"]))
        rollback.append(timed(["rollback", NAME, "--alias", "champion"]))
        show.append(timed(["show", f"{NAME}@champion"]))
    journal_kib = os.path.getsize(os.path.join(root, "slmctl/journal.jsonl")) / 1024
    print("## Registry\n")
    print(f"`bench/registry_bench.py`: whole `slmctl` processes against a registry whose journal holds "
          f"{total} records ({journal_kib:.0f} KiB); {runs} runs each. Promote runs the full gate (artifact "
          "and sidecar verification) and an fsync'd journal append. Target: promote and rollback under 20 ms.\n")
    print("| operation | median ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    for label, xs in (("promote", promote), ("rollback", rollback), ("show @champion", show),
                      ("process start (`slmctl --version`)", start)):
        xs = sorted(xs)
        print(f"| {label} | {statistics.median(xs):.1f} | {xs[int(0.95 * (len(xs) - 1))]:.1f} | {xs[-1]:.1f} |")


if __name__ == "__main__":
    main()
