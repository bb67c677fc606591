"""Kills slmctl with SIGKILL in the middle of pack --add, promote and rollback,
hundreds of times: at every named durable step (SLMCTL_CRASH_AT) and at random
moments. After each kill fsck must be clean (it may roll views forward),
every alias must point at its old or its new target, no version already
stored may disappear, and the registry must keep working."""
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import NAME, SLMCTL, aliases, journal, make_registry, run, spec_for, versions  # noqa: E402

POINTS = ["blob.before_write", "blob.after_write", "journal.before_append", "journal.before_fsync",
          "journal.after_append", "views.before_index", "views.before_state"]
ITERATIONS = int(os.environ.get("CRASH_ITERATIONS", "300"))


def operation(rng, work, state_aliases, step):
    kind = rng.choice(["pack", "promote", "promote", "rollback"])
    if kind == "pack":
        version = f"2.0.{step}"
        return kind, ["pack", spec_for(work, version), "-o", os.path.join(work, "p.slm"), "--add"], None
    if kind == "promote":
        target = rng.choice(["1.0.0", "1.1.0"])
        return kind, ["promote", f"{NAME}:{target}", "--alias", "champion"], target
    return kind, ["rollback", NAME, "--alias", "champion"], None


def main():
    rng = random.Random(int(os.environ.get("CRASH_SEED", "1234")))
    work, root, env = make_registry()
    run(["promote", f"{NAME}:1.0.0", "--alias", "champion"])
    kills = {"point": 0, "random": 0, "completed": 0}
    for step in range(ITERATIONS):
        before = journal(root)
        old_aliases, old_versions = aliases(before), versions(before)
        kind, args, target = operation(rng, work, old_aliases, step)
        run_env = dict(env)
        if step % 2 == 0:
            run_env["SLMCTL_CRASH_AT"] = rng.choice(POINTS)
            p = subprocess.run([SLMCTL] + args, capture_output=True, env=run_env)
            kills["point" if p.returncode == -signal.SIGKILL else "completed"] += 1
        else:
            p = subprocess.Popen([SLMCTL] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=run_env)
            time.sleep(rng.uniform(0, 0.025))
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills["random" if p.returncode == -signal.SIGKILL else "completed"] += 1

        fsck = run(["fsck", "--json"], check=False)
        assert fsck.returncode == 0, f"step {step} ({kind} {args}): fsck not clean\n{fsck.stdout}{fsck.stderr}"
        after = journal(root)
        new_aliases = aliases(after)
        old, new = old_aliases.get("champion"), new_aliases.get("champion")
        allowed = {old}
        if kind == "promote":
            allowed.add(target)
        if kind == "rollback":
            allowed |= {"1.0.0", "1.1.0"}  # the previous target, whichever it was
        assert new in allowed, f"step {step}: champion {old} -> {new} after killed {kind}"
        assert old_versions <= versions(after), f"step {step}: a stored version disappeared"
        shown = run(["show", f"{NAME}@champion", "--json"])
        assert f'"version": "{new}"' in shown.stdout, f"step {step}: show disagrees with the journal"
    # The registry still works and gc keeps everything referenced.
    run(["gc", "--min-age", "0"])
    run(["fsck"])
    run(["run", f"{NAME}@champion", "-p", "hi", "-n", "2"])
    print(f"{ITERATIONS} kills: {kills['point']} at named points, {kills['random']} at random moments, "
          f"{kills['completed']} finished before the kill; {len(journal(root))} journal records; fsck clean each time")


if __name__ == "__main__":
    main()
