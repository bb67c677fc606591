"""Shared setup for the registry reliability suites: a registry holding one
skill with two evaluated versions, and helpers that read the journal
independently of slmctl (hash chain, alias replay)."""
import hashlib
import json
import os
import subprocess
import tempfile

SLMCTL = os.path.abspath(os.environ["SLMCTL"])
SOURCE_DIR = os.path.abspath(os.environ["SOURCE_DIR"])
NAME = "skill.fixture.tiny"
SUITE = os.path.join(SOURCE_DIR, "evals/fixtures/tiny.yaml")
SPEC = os.path.join(SOURCE_DIR, "fixtures/tiny/spec.yaml")


def run(args, env=None, check=True):
    p = subprocess.run([SLMCTL] + args, capture_output=True, text=True, errors="replace", env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"slmctl {' '.join(args)} -> {p.returncode}\n{p.stderr}")
    return p


def spec_for(work, version):
    """The tiny fixture's spec re-labelled with another version."""
    path = os.path.join(work, f"spec-{version}.yaml")
    if not os.path.exists(path):
        text = open(SPEC).read()
        text = text.replace("version: 0.1.0", f"version: {version}")
        text = text.replace("path: weights.safetensors",
                            "path: " + os.path.join(SOURCE_DIR, "fixtures/tiny/weights.safetensors"))
        open(path, "w").write(text)
    return path


def make_registry(versions=("1.0.0", "1.1.0")):
    work = tempfile.mkdtemp(prefix="slmctl-reg-")
    root = os.path.join(work, "reg")
    env = dict(os.environ, SLM_HOME=root)
    os.environ["SLM_HOME"] = root
    for v in versions:
        run(["pack", spec_for(work, v), "-o", os.path.join(work, f"{v}.slm"), "--add"])
        run(["eval", f"{NAME}:{v}", "--suite", SUITE, "--add", "--out", os.path.join(work, "ev")])
    return work, root, env


def journal(root):
    """The committed records, checking the hash chain like fsck does."""
    path = os.path.join(root, "slmctl/journal.jsonl")
    data = open(path, "rb").read() if os.path.exists(path) else b""
    records, prev = [], "sha256:" + "0" * 64
    for i, line in enumerate(data.split(b"\n")[:-1], start=1):  # a last line without "\n" is uncommitted
        rec = json.loads(line)
        assert rec["seq"] == i, (i, rec["seq"])
        assert rec["prev"] == prev, f"chain broken at record {i}"
        prev = "sha256:" + hashlib.sha256(line).hexdigest()
        records.append(rec)
    return records


def aliases(records):
    """Alias targets replayed from the journal."""
    out = {}
    for r in records:
        if r["event"] == "alias":
            assert out.get(r["alias"]) == r["from"], ("alias moved from a stale target", r)
            out[r["alias"]] = r["to"]
    return out


def versions(records):
    return {r["version"] for r in records if r["event"] == "add"}
