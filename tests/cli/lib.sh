# Shared helpers for CLI suites. Each suite sources this file, runs in its own
# temporary folder and ends with `finish`, which prints "N passed, M failed".
set -u
: "${SLMCTL:?SLMCTL must point to the slmctl binary}"
: "${SOURCE_DIR:?SOURCE_DIR must point to the repository}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slmctl-cli.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export SLM_HOME="$WORK/.slm"
# Debian's interpreter: scripts/install-deps.sh installs the modules tests use
# (jsonschema, numpy) as Debian packages, which another python3 on PATH lacks.
PY=/usr/bin/python3
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect_exit CODE DESCRIPTION -- command...
expect_exit() {
  local want="$1" what="$2"; shift 3
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [[ "$got" == "$want" ]]; then ok; else
    fail "$what: expected exit $want, got $got"; sed 's/^/  | /' "$WORK/err" | head -20 >&2
  fi
}

# expect_stderr_contains TEXT DESCRIPTION (checks the last expect_exit's stderr)
expect_stderr_contains() {
  if grep -qF -- "$1" "$WORK/err"; then ok; else
    fail "$2: stderr lacks '$1'"; sed 's/^/  | /' "$WORK/err" | head -20 >&2
  fi
}

expect_same_file() {
  if cmp -s "$1" "$2"; then ok; else fail "$3: $1 and $2 differ"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [[ "$failed" == 0 ]]
}
