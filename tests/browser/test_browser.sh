#!/usr/bin/env bash
# The browser app end to end (tests/browser/e2e.mjs in headless Chromium):
# a registry with three versions (f32, its q8_0 quantization, a trained
# skill), `slmctl serve` with the app embedded in slmctl, and the native
# `slmctl run` output for each generation the page must reproduce.
#
# Skips (exit 77) when Chromium is missing, when playwright-core cannot be
# installed (no node/npm, npm registry unreachable) or when this slmctl has
# no WebAssembly runtime; with SLM_REQUIRE_PEERS=1 (CI) each of these fails.
#
# Environment: SLMCTL, SOURCE_DIR (as every CLI suite); optional
#   SLM_CHROMIUM     the browser (default /usr/bin/chromium)
#   SLM_BROWSER_DIR  where install.sh puts playwright-core (default .cache/browser)
#   SLM_BROWSER_OUT  where the screenshots go (default ./browser-test in the
#                    folder the test starts in)
#   SLM_WEB_DIR      serve this app folder instead of the embedded app
START_DIR="$PWD"
source "$SOURCE_DIR/tests/cli/lib.sh"
S="$SLMCTL"
FIX="$SOURCE_DIR/fixtures"
HERE="$SOURCE_DIR/tests/browser"
CHROMIUM="${SLM_CHROMIUM:-/usr/bin/chromium}"
export SLM_BROWSER_DIR="${SLM_BROWSER_DIR:-$SOURCE_DIR/.cache/browser}"
OUT_DIR="${SLM_BROWSER_OUT:-$START_DIR/browser-test}"

skip() {
  echo "SKIP: $*; the browser app was not checked" >&2
  if [[ "${SLM_REQUIRE_PEERS:-0}" == 1 ]]; then
    echo "FAIL: SLM_REQUIRE_PEERS=1 does not allow skipping" >&2
    exit 1
  fi
  exit 77
}

[[ -x "$CHROMIUM" ]] || skip "no Chromium at $CHROMIUM (apt-get install chromium)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  skip "node and npm are needed (apt-get install nodejs npm)"
fi
"$S" runtime wasm >/dev/null 2>&1 || skip "this slmctl has no WebAssembly runtime embedded"
rc=0
bash "$HERE/install.sh" >browser-setup.log 2>&1 || rc=$?
((rc == 77)) && skip "npm registry unreachable, playwright-core could not be installed"
if ((rc != 0)); then
  sed 's/^/  | /' browser-setup.log >&2
  fail "installing playwright-core (tests/browser/install.sh, exit $rc)"
  finish
  exit 1
fi

SERVER_PID=""
trap '[[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

# --- the registry: tiny (f32), tiny quantized to q8_0 (its child), text-reverse (trained)
TINY=skill.fixture.tiny:0.1.0
TINY_Q8=skill.fixture.tiny:0.1.0+q8-0
REVERSE=skill.text-reverse:1.0.0
expect_exit 0 "pack tiny --add" -- "$S" pack "$FIX/tiny/spec.yaml" -o tiny.slm --add
expect_exit 0 "quantize tiny to q8_0 --add" -- "$S" quantize "$TINY" --to q8_0 -o tiny-q8.slm --no-report --add
expect_exit 0 "pack text-reverse --add" -- "$S" pack "$FIX/skills/text-reverse/spec.yaml" -o reverse.slm --add

# --- native output for each generation the page runs: name model prompt max-tokens temperature seed
mkdir -p native
while IFS='|' read -r name model prompt n temp seed; do
  expect_exit 0 "native run ($name)" -- "$S" run "$model" -p "$prompt" -n "$n" --temp "$temp" --seed "$seed" --json
  cp "$WORK/out" "native/$name.json"
  printf '%s\n' "$name|$model|$prompt|$n|$temp|$seed" >>native/cases.txt
done <<EOF
greedy|$REVERSE|browser>|16|0|0
sampled|$TINY_Q8|the quick brown fox|48|0.8|42
long|$TINY|Once upon a time|120|0|0
EOF
$PY - native <<'PY'
import json, sys, os
d = sys.argv[1]
cases = []
for line in open(os.path.join(d, "cases.txt")):
    name, model, prompt, n, temp, seed = line.rstrip("\n").split("|")
    native = json.load(open(os.path.join(d, name + ".json")))
    cases.append({"name": name, "model": model, "prompt": prompt, "maxTokens": int(n),
                  "temperature": float(temp), "seed": int(seed), "native": native})
json.dump(cases, open(os.path.join(d, "cases.json"), "w"))
PY
# The cancel check needs a generation far longer than the few tokens it lets through.
check_long=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["generated_tokens"]))' native/long.json)
if ((check_long >= 60)); then ok; else fail "the long native generation has only $check_long tokens"; fi

# --- the server: the embedded app (an empty --app folder), or $SLM_WEB_DIR
APP_ARGS=(--app "$WORK/no-app")
mkdir -p "$WORK/no-app"
if [[ -n "${SLM_WEB_DIR:-}" ]]; then
  [[ "$SLM_WEB_DIR" == /* ]] || SLM_WEB_DIR="$START_DIR/$SLM_WEB_DIR"
  APP_ARGS=(--app "$SLM_WEB_DIR")
fi
"$S" serve --port 0 --json --registry "$SLM_HOME" "${APP_ARGS[@]}" >server.out 2>server.err &
SERVER_PID=$!
for _ in $(seq 100); do
  [[ -s server.out ]] && break
  sleep 0.1
done
URL=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' server.out 2>/dev/null)
if [[ -z "$URL" ]]; then
  fail "serve did not print its start line"; sed 's/^/  | /' server.err >&2
  finish; exit 1
fi

# --- the browser
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/browser-*.png "$OUT_DIR/e2e.log"
APP_SOURCE=""
[[ -z "${SLM_WEB_DIR:-}" ]] && APP_SOURCE="$SOURCE_DIR/apps/web"
if BASE_URL="$URL" CASES="$WORK/native/cases.json" BROWSER_MODULES="$SLM_BROWSER_DIR/node_modules" \
   CHROMIUM="$CHROMIUM" OUT_DIR="$OUT_DIR" APP_SOURCE_DIR="$APP_SOURCE" \
   timeout 150 node "$HERE/e2e.mjs" >e2e.log 2>e2e.err; then
  ok
  tail -n 1 e2e.log
else
  fail "the browser test (node tests/browser/e2e.mjs)"
  grep -v '^ok - ' e2e.log | sed 's/^/  | /' >&2
  grep -v 'unexpected operator' e2e.err | sed 's/^/  | /' >&2
  echo "  | server log:" >&2
  sed 's/^/  | /' server.err >&2
fi
cp e2e.log "$OUT_DIR/e2e.log"
echo "screenshots and log: $OUT_DIR/browser-greedy.png, $OUT_DIR/browser-refused.png, $OUT_DIR/e2e.log"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"; rc=$?
SERVER_PID=""
if [[ "$rc" == 0 ]]; then ok; else fail "serve: SIGTERM exit $rc"; fi

finish
