#!/usr/bin/env bash
# slmctl serve: static files with their content types, HEAD, methods, path
# traversal in several spellings and through a symlink, the registry routes
# (/api/models, /models/REF checked against the digest, /manifests/REF),
# the registry read per request, loopback-only binding, and shutdown by
# SIGINT / SIGTERM with exit 0.
source "$SOURCE_DIR/tests/cli/lib.sh"
FIX="$SOURCE_DIR/fixtures"
SUITE="$SOURCE_DIR/evals/fixtures/tiny.yaml"
S="$SLMCTL"
N=skill.fixture.tiny

if ! command -v curl >/dev/null; then
  fail "curl is not installed (scripts/install-deps.sh --test installs it)"
  finish
  exit
fi

SERVER_PID=""
stop_server() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
trap 'stop_server; [[ -n "${ENV_PID:-}" ]] && kill "$ENV_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

# start_server ARGS...: slmctl serve --port 0 --json ARGS in the background;
# sets SERVER_PID, PORT and BASE from the JSON start line.
start_server() {
  "$S" serve --port 0 --json "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    [[ -s "$WORK/server.out" ]] && break
    sleep 0.1
  done
  PORT=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["port"])' "$WORK/server.out" 2>/dev/null)
  if [[ -z "$PORT" ]]; then
    fail "serve did not print its start line"; sed 's/^/  | /' "$WORK/server.err" >&2
    finish; exit 1
  fi
  BASE="http://127.0.0.1:$PORT"
}

# get PATH [CURL-ARGS...]: CODE = status; body in $WORK/body, headers in $WORK/headers.
get() {
  CODE=$(curl -sS --path-as-is -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "${@:2}" "$BASE$1")
}
header() { grep -i "^$1:" "$WORK/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
# raw TEXT: sends TEXT over a plain socket, the whole answer in $WORK/raw.
raw() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  printf '%b' "$1" >&3
  cat <&3 >"$WORK/raw"
  exec 3<&-
}
check() {  # check DESCRIPTION -- test...
  local what="$1"; shift 2
  if "$@"; then ok; else fail "$what"; fi
}
json_field() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"; }

# --- a registry with one version, and an app folder (its files win over the embedded ones)
expect_exit 0 "pack --add" -- "$S" pack "$FIX/tiny/spec.yaml" -o t.slm --add
expect_exit 0 "eval --add" -- "$S" eval "$N:0.1.0" --suite "$SUITE" --add --out ev
expect_exit 0 "show" -- "$S" show "$N:0.1.0" --json
DIGEST=$(json_field "$WORK/out" '["artifact"]["digest"]')
SIZE=$(json_field "$WORK/out" '["artifact"]["size"]')
MANIFEST_ID=$(json_field "$WORK/out" '["manifest_id"]')
mkdir -p app/a app/sub
printf '<h1>slm</h1>\n' > app/index.html
printf 'sub index\n' > app/sub/index.html
printf '\0asm\1\0\0\0' > app/m.wasm
printf 'console.log(1)\n' > app/main.js
printf 'top secret\n' > secret.txt
ln -s ../secret.txt app/leak.txt

start_server --app "$WORK/app" --registry "$SLM_HOME"
check "start line names url, app and registry" -- $PY - "$WORK/server.out" "$WORK/app" "$SLM_HOME" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert d["url"] == "http://127.0.0.1:%d/" % d["port"], d
assert d["app"] == sys.argv[2] and d["registry"] == sys.argv[3], d
PY

# --- static files
get /
check "/ is index.html" -- test "$CODE $(cat "$WORK/body")" == "200 <h1>slm</h1>"
check "index.html is text/html" -- test "$(header content-type)" == "text/html; charset=utf-8"
check "nosniff" -- test "$(header x-content-type-options)" == "nosniff"
check "no-store" -- test "$(header cache-control)" == "no-store"
check "Content-Length" -- test "$(header content-length)" == 13
get "/index.html?v=1#x"
check "the query string is ignored" -- test "$CODE" == 200
get /sub/
check "a folder's index.html" -- test "$CODE $(cat "$WORK/body")" == "200 sub index"
get /m.wasm
check ".wasm is application/wasm" -- test "$CODE $(header content-type)" == "200 application/wasm"
check ".wasm bytes as they are" -- cmp -s "$WORK/body" app/m.wasm
get /main.js
check ".js is text/javascript" -- test "$(header content-type)" == "text/javascript; charset=utf-8"
get /missing.html
check "a missing file is 404 with a JSON error" -- test "$CODE $(json_field "$WORK/body" '["error"]["id"]')" == "404 serve.not_found"

# --- HEAD, methods, malformed requests
raw 'HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
check "HEAD: 200 with Content-Length 13" -- grep -q $'^Content-Length: 13\r$' "$WORK/raw"
check "HEAD: no body" -- test "$(tail -c 4 "$WORK/raw" | od -An -c | tr -d ' ')" == '\r\n\r\n'
get / -X POST -d x=1
check "POST is 405" -- test "$CODE" == 405
check "405 names the allowed methods" -- test "$(header allow)" == "GET, HEAD"
get / -X DELETE
check "DELETE is 405" -- test "$CODE" == 405
raw 'GARBAGE\r\n\r\n'
check "a malformed request line is 400" -- grep -q '^HTTP/1.1 400 ' "$WORK/raw"
raw 'GET / HTTP/1.1\r\n\r\n'
check "HTTP/1.1 without Host is 400" -- grep -q '^HTTP/1.1 400 ' "$WORK/raw"
raw 'GET / HTTP/1.0\r\n\r\n'
check "HTTP/1.0 is answered" -- grep -q '^HTTP/1.1 200 ' "$WORK/raw"
raw "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: $(head -c 20000 /dev/zero | tr '\0' a)\r\n\r\n"
check "a head over 16 KiB is 431" -- grep -q '^HTTP/1.1 431 ' "$WORK/raw"
get / -H 'Host: evil.example'
check "a foreign Host (DNS rebinding) is 403" -- test "$CODE" == 403

# --- traversal: never the file's contents
for path in /../secret.txt /../../../../etc/passwd /%2e%2e/secret.txt /%2E%2E/%2E%2E/etc/passwd \
            /a/%2E%2E/%2E%2E/secret.txt /a/..%2f..%2fsecret.txt '/a/..%5c..%5csecret.txt' /leak.txt; do
  get "$path"
  check "$path is refused (403/400, got $CODE)" -- test "$CODE" == 403 -o "$CODE" == 400
  check "$path does not leak" -- test -z "$(grep -l -e 'top secret' -e 'root:' "$WORK/body")"
done
get /%zz
check "a bad escape is 400" -- test "$CODE $(json_field "$WORK/body" '["error"]["id"]')" == "400 serve.bad_escape"
get /index.html%00.txt
check "an encoded NUL is 400" -- test "$CODE $(json_field "$WORK/body" '["error"]["id"]')" == "400 serve.encoded_nul"

# --- registry routes
get /api/models
check "/api/models is JSON" -- test "$CODE $(header content-type)" == "200 application/json"
check "/api/models lists the version" -- $PY - "$WORK/body" "$N" "$DIGEST" "$SIZE" <<'PY'
import json, sys
models = json.load(open(sys.argv[1]))
name, digest, size = sys.argv[2], sys.argv[3], int(sys.argv[4])
[m] = [m for m in models if m["reference"] == name + ":0.1.0"]
assert m == {"name": name, "version": "0.1.0", "reference": name + ":0.1.0", "digest": digest, "size": size,
             "stage": "candidate", "aliases": [], "url": "/models/" + name + ":0.1.0",
             "manifest_url": "/manifests/" + name + ":0.1.0"}, m
PY
get "/models/$N:0.1.0"
check "/models/NAME:VERSION is 200 octet-stream" -- test "$CODE $(header content-type)" == "200 application/octet-stream"
check "the bytes hash to the registry digest" -- test "sha256:$(sha256sum "$WORK/body" | cut -d' ' -f1)" == "$DIGEST"
check "X-Slm-Digest" -- test "$(header x-slm-digest)" == "$DIGEST"
check "ETag" -- test "$(header etag)" == "\"$DIGEST\""
check "the bytes are the packed file" -- cmp -s "$WORK/body" t.slm
get "/models/$N@${DIGEST:0:19}"
check "/models/NAME@sha256:prefix" -- test "$CODE" == 200
get "/models/$N%3A0.1.0"
check "a percent-encoded reference" -- test "$CODE" == 200
get "/models/$N@champion"
check "no champion yet: 404 with a JSON error" -- test "$CODE $(json_field "$WORK/body" '["error"]["id"]')" == "404 registry.not_found"
# The registry is read per request: a promote while serving shows at once.
expect_exit 0 "promote to champion while serving" -- "$S" promote "$N:0.1.0" --to champion
get "/models/$N@champion"
check "/models/NAME@champion after promote" -- test "$CODE $(header x-slm-digest)" == "200 $DIGEST"
get /api/models
check "/api/models shows the new stage and alias" -- $PY -c '
import json, sys
[m] = json.load(open(sys.argv[1]))
assert m["stage"] == "champion" and m["aliases"] == ["champion"], m' "$WORK/body"
get "/models/$N:9.9.9"
check "unknown version is 404" -- test "$CODE $(header content-type)" == "404 application/json"
check "404 body names the error" -- $PY -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["id"] == "registry.not_found" and "9.9.9" in e["message"], e' "$WORK/body"
get /models/skill.nope:1.0.0
check "unknown skill is 404" -- test "$CODE" == 404
get "/models/$N:one"
check "a bad reference is 400" -- test "$CODE $(json_field "$WORK/body" '["error"]["id"]')" == "400 registry.bad_reference"
get "/manifests/$N:0.1.0"
check "/manifests/REF is JSON" -- test "$CODE $(header content-type)" == "200 application/json"
check "the manifest is the skill manifest" -- test "$(json_field "$WORK/body" '["name"]')" == "$N"
check "the manifest hashes to the manifest id" -- test "sha256:$(sha256sum "$WORK/body" | cut -d' ' -f1)" == "$MANIFEST_ID"
get /api/nothing
check "an unknown API route is 404" -- test "$CODE" == 404

# --- a second server: the port is taken
expect_exit 6 "a port in use is a conflict" -- timeout 10 "$S" serve --port "$PORT" --app "$WORK/app"
expect_stderr_contains "in use" "the conflict names the port"

# --- SIGINT ends the server with exit 0
kill -INT "$SERVER_PID"
wait "$SERVER_PID"; rc=$?
check "SIGINT: exit 0 (got $rc)" -- test "$rc" == 0
SERVER_PID=""

# --- loopback only
expect_exit 2 "--host 0.0.0.0 is refused" -- timeout 10 "$S" serve --host 0.0.0.0 --port 0
expect_stderr_contains "--host" "the refusal names the flag"
expect_stderr_contains "127.0.0.1, ::1 or localhost" "the refusal says what is allowed"
expect_exit 2 "--host 192.168.1.1 is refused" -- timeout 10 "$S" serve --host 192.168.1.1 --port 0
expect_exit 2 "--port 70000 is refused" -- timeout 10 "$S" serve --port 70000

# --- no app folder, no registry: start anyway, say so, serve the embedded app
start_server --host localhost --app "$WORK/no-app" --registry "$WORK/no-registry"
check "missing app folder warned about" -- grep -q "no-app does not exist" "$WORK/server.err"
check "missing registry warned about" -- grep -q "no registry here" "$WORK/server.err"
get /no-such-page.html
check "a file neither in the folder nor embedded is 404" -- test "$CODE" == 404
get /
check "/ is the embedded app" -- test "$CODE $(header content-type)" == "200 text/html; charset=utf-8"
check "... the same bytes as apps/web/index.html" -- cmp -s "$WORK/body" "$SOURCE_DIR/apps/web/index.html"
get /slm.mjs
check "the embedded loader is JavaScript" -- test "$CODE $(header content-type)" == "200 text/javascript; charset=utf-8"
check "... the same bytes as apps/wasm/slm.mjs" -- cmp -s "$WORK/body" "$SOURCE_DIR/apps/wasm/slm.mjs"
if "$S" runtime wasm -o "$WORK/runtime" >/dev/null 2>&1; then
  get /slm_runtime.wasm
  check "the embedded runtime is application/wasm" -- test "$CODE $(header content-type)" == "200 application/wasm"
  check "... the bytes 'slmctl runtime wasm' writes" -- cmp -s "$WORK/body" "$WORK/runtime/slm_runtime.wasm"
  check "runtime-manifest.json records the runtime's SHA-256" -- test \
    "$(json_field "$WORK/runtime/runtime-manifest.json" '["files"]["slm_runtime.wasm"]["digest"]')" == \
    "sha256:$(sha256sum "$WORK/runtime/slm_runtime.wasm" | cut -d' ' -f1)"
  expect_exit 10 "runtime wasm -o into an impossible folder" -- "$S" runtime wasm -o /dev/null/runtime
  expect_stderr_contains "cannot create the directory" "the error says what failed"
else
  echo "note: this slmctl has no WebAssembly runtime; /slm_runtime.wasm not checked" >&2
fi
get /api/models
check "registry routes are 404 without a registry" -- test "$CODE" == 404
SLM_WEB_DIR="$WORK/app" "$S" serve --port 0 --json >"$WORK/env.out" 2>/dev/null &
ENV_PID=$!
for _ in $(seq 100); do [[ -s "$WORK/env.out" ]] && break; sleep 0.1; done
check "\$SLM_WEB_DIR is the default app folder" -- test "$(json_field "$WORK/env.out" '["app"]')" == "$WORK/app"
kill -TERM "$ENV_PID"; wait "$ENV_PID"; rc=$?
check "SIGTERM: exit 0 (got $rc)" -- test "$rc" == 0
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"; rc=$?
check "SIGTERM with the IPv4 localhost server: exit 0 (got $rc)" -- test "$rc" == 0
SERVER_PID=""

finish
