"""16 processes promote and roll back the same alias at once, 100 operations
each. The journal must stay a single valid hash chain in which every alias
move starts where the previous one ended, and the alias must finally equal
the last recorded move."""
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from harness import NAME, SLMCTL, aliases, journal, make_registry, run  # noqa: E402

WORKERS = int(os.environ.get("CONCURRENCY_WORKERS", "16"))
OPS = int(os.environ.get("CONCURRENCY_OPS", "100"))


def worker(seed, env):
    rng = random.Random(seed)
    codes = {}
    for _ in range(OPS):
        if rng.random() < 0.6:
            args = ["promote", f"{NAME}:{rng.choice(['1.0.0', '1.1.0', '1.2.0'])}", "--alias", "champion"]
        else:
            args = ["rollback", NAME, "--alias", "champion"]
        p = subprocess.run([SLMCTL] + args + ["--reason", f"worker {seed}"], capture_output=True, text=True, env=env)
        codes[p.returncode] = codes.get(p.returncode, 0) + 1
        # 1 = refused (e.g. nothing left to roll back); anything else is a bug.
        assert p.returncode in (0, 1), f"{args} -> {p.returncode}: {p.stderr}"
    return codes


def main():
    work, root, env = make_registry(("1.0.0", "1.1.0", "1.2.0"))
    run(["promote", f"{NAME}:1.0.0", "--alias", "champion"])
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda s: worker(s, env), range(WORKERS)))
    records = journal(root)  # asserts the chain and the seq numbers
    moves = [r for r in records if r["event"] == "alias" and r["alias"] == "champion"]
    final = aliases(records)["champion"]  # asserts each move starts at the previous target
    assert final == moves[-1]["to"]
    shown = run(["show", f"{NAME}@champion", "--json"]).stdout
    assert f'"version": "{final}"' in shown, shown
    run(["fsck"])
    total = {}
    for c in results:
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    print(f"{WORKERS}x{OPS} operations: exit codes {total}; {len(moves)} alias moves in a chain of "
          f"{len(records)} records; final champion {final}")


if __name__ == "__main__":
    main()
