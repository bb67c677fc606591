#!/usr/bin/env bash
# slmctl push / pull against Debian's docker-registry (distribution 2.8, which
# has no referrers API: the referrers tag fallback is what gets exercised),
# with skopeo as the independent OCI client: round trips with equal digests,
# fsck on the result, tampered content refused with nothing admitted, unknown
# tags, conflicts, TLS with basic auth (self-signed CA, bcrypt htpasswd), and
# the Bearer token flow (docker-registry's token auth, a small token server).
source "$SOURCE_DIR/tests/cli/lib.sh"

# The suite needs a registry server, skopeo and openssl: install what is missing.
missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
    { echo "FAIL: cannot install ${missing[*]}" >&2; exit 1; }
fi

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT
# skopeo with its own (empty) credentials file. Not exported: docker-registry
# reads every REGISTRY_* variable as a configuration override.
SKOPEO=(env REGISTRY_AUTH_FILE="$WORK/containers-auth.json" skopeo --insecure-policy)

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_port() {  # wait_port PORT: until something accepts connections there (10 s at most)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# start_registry DIR PORT [EXTRA_YAML]: docker-registry on 127.0.0.1:PORT storing into DIR/data.
start_registry() {
  local dir="$1" port="$2"
  mkdir -p "$dir"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: slmctl-test-secret
${3:-}
EOF
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  PIDS+=($!)
  wait_port "$port" || { echo "FAIL: docker-registry did not start on port $port" >&2; cat "$dir/log" >&2; exit 1; }
}

# field FILE.json PYTHON-EXPR: prints the expression over the document `d`.
field() { $PY -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1"; }

# same_version R_A R_B REF: show --json agrees on every digest (version manifest,
# skill manifest id, artifact, provenance, each referrer manifest and document).
same_version() {
  "$SLMCTL" show "$3" --registry "$1" --json >"$WORK/a.json" 2>/dev/null
  "$SLMCTL" show "$3" --registry "$2" --json >"$WORK/b.json" 2>/dev/null
  if $PY - "$WORK/a.json" "$WORK/b.json" <<'PY'; then ok; else fail "$1 and $2 differ on $3"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def key(v):
    refs = sorted((r["kind"], r["manifest"], r["blob"], json.dumps(r["summary"], sort_keys=True)) for r in v["referrers"])
    return (v["oci_manifest"], v["manifest_id"], v["artifact"], v.get("provenance"), refs)
assert key(a) == key(b), (key(a), key(b))
assert len(a["referrers"]) == 2, a["referrers"]
PY
}

# snapshot DIR: the journal and the blob listing, to prove a refused pull wrote nothing.
snapshot() { { sha256sum "$1/slmctl/journal.jsonl" 2>/dev/null; ls -a "$1/blobs/sha256" 2>/dev/null; } | sha256sum; }

# ---- the source registry R1: a packed, evaluated, signed version ------------
NAME=skill.fixture.tiny
VERSION=0.1.0
REF="$NAME:$VERSION"
"$SLMCTL" pack "$SOURCE_DIR/fixtures/tiny/spec.yaml" -o t.slm --add --registry R1 2>/dev/null || fail "pack --add"
"$SLMCTL" eval t.slm --suite "$SOURCE_DIR/evals/fixtures/tiny.yaml" --add --registry R1 --out sidecars >/dev/null 2>&1 ||
  fail "eval --add"
"$SLMCTL" keygen -o release.key >/dev/null 2>&1 || fail "keygen"
"$SLMCTL" sign "$REF" --key release.key --registry R1 2>/dev/null || fail "sign"
"$SLMCTL" show "$REF" --registry R1 --json >r1.json 2>/dev/null || fail "show in R1"
MANIFEST=$(field r1.json 'd["oci_manifest"]["digest"]')
ARTIFACT=$(field r1.json 'd["artifact"]["digest"]')
SIDECAR_BLOB=$(field r1.json '[r["blob"] for r in d["referrers"] if r["kind"] == "eval"][0]')

PORT=$(free_port)
start_registry "$WORK/srv" "$PORT"
HOST="127.0.0.1:$PORT"

# ---- push, then pull into an empty registry ----------------------------------
expect_exit 0 "push over plain http" -- \
  "$SLMCTL" push "$REF" "oci://$HOST/skills/tiny" --registry R1 --plain-http --json
cp "$WORK/out" push.json
[[ "$(field push.json 'd["tag"]')" == "$VERSION" ]] && ok || fail "default tag is the version"
[[ "$(field push.json 'd["oci_manifest"]')" == "$MANIFEST" ]] && ok || fail "push reports the version's manifest"
[[ "$(field push.json 'd["referrers_via"]')" == "tag" ]] && ok || fail "distribution 2.8 gets the referrers tag"
[[ "$(field push.json 'len(d["referrers"])')" == 2 ]] && ok || fail "push sends the sidecar and the signature"
expect_exit 0 "push again: every blob is already there" -- \
  "$SLMCTL" push "$NAME@latest" "oci://$HOST/skills/tiny:again" --registry R1 --plain-http --json
[[ "$(field "$WORK/out" 'sum(b["uploaded"] for b in d["blobs"])')" == 0 ]] && ok || fail "second push uploads no blob"
expect_exit 10 "https against a plain-http registry is a transport error" -- \
  "$SLMCTL" push "$REF" "oci://$HOST/skills/tiny" --registry R1
expect_stderr_contains "--plain-http" "the TLS failure suggests --plain-http"

expect_exit 0 "pull into an empty registry" -- \
  "$SLMCTL" pull "oci://$HOST/skills/tiny:$VERSION" --registry R2 --plain-http --json
cp "$WORK/out" pull.json
[[ "$(field pull.json 'd["oci_manifest"]')" == "$MANIFEST" ]] && ok || fail "pull reports the same manifest digest"
[[ "$(field pull.json 'len(d["referrers"])')" == 2 ]] && ok || fail "pull attaches the sidecar and the signature"
expect_exit 0 "fsck of the pulled registry" -- "$SLMCTL" fsck --registry R2 --json
[[ "$(field "$WORK/out" 'd["clean"]')" == True ]] && ok || fail "fsck clean after pull"
same_version R1 R2 "$REF"
expect_exit 0 "the pulled version verifies against its pulled manifest" -- "$SLMCTL" verify "$REF" --registry R2
expect_exit 0 "pull again: already present" -- \
  "$SLMCTL" pull "oci://$HOST/skills/tiny:$VERSION" --registry R2 --plain-http --json
[[ "$(field "$WORK/out" 'd["already_present"]')" == True ]] && ok || fail "second pull is already_present"
[[ "$(wc -l <R2/slmctl/journal.jsonl)" == 3 ]] && ok || fail "second pull journals nothing"
expect_exit 0 "pull by digest" -- \
  "$SLMCTL" pull "oci://$HOST/skills/tiny@$MANIFEST" --registry R2b --plain-http
same_version R1 R2b "$REF"

# ---- skopeo: reads what slmctl pushed, and copies both ways ------------------
expect_exit 0 "skopeo inspect --raw of the pushed tag" -- \
  "${SKOPEO[@]}" inspect --raw --tls-verify=false "docker://$HOST/skills/tiny:$VERSION"
[[ "sha256:$(sha256sum <"$WORK/out" | cut -d' ' -f1)" == "$MANIFEST" ]] && ok || fail "skopeo sees the same manifest bytes"
expect_exit 0 "skopeo inspect --raw of the referrers tag" -- \
  "${SKOPEO[@]}" inspect --raw --tls-verify=false "docker://$HOST/skills/tiny:sha256-${MANIFEST#sha256:}"
[[ "$(field "$WORK/out" 'len(d["manifests"])')" == 2 ]] && ok || fail "the referrers tag lists two referrers"
expect_exit 0 "skopeo copy from the local registry (OCI layout) to docker-registry" -- \
  "${SKOPEO[@]}" copy --dest-tls-verify=false "oci:R1:$REF" "docker://$HOST/skopeo/tiny:v1"
expect_exit 0 "skopeo inspect --raw of what skopeo pushed" -- \
  "${SKOPEO[@]}" inspect --raw --tls-verify=false "docker://$HOST/skopeo/tiny:v1"
[[ "sha256:$(sha256sum <"$WORK/out" | cut -d' ' -f1)" == "$MANIFEST" ]] && ok || fail "skopeo keeps the manifest digest"
expect_exit 0 "skopeo copy back into a fresh OCI layout" -- \
  "${SKOPEO[@]}" copy --src-tls-verify=false "docker://$HOST/skills/tiny:$VERSION" "oci:fresh:tiny"
[[ -f "fresh/blobs/sha256/${MANIFEST#sha256:}" && -f "fresh/blobs/sha256/${ARTIFACT#sha256:}" ]] && ok ||
  fail "the skopeo copy has the same manifest and artifact blobs"
expect_exit 3 "pull into an OCI layout slmctl did not make" -- \
  "$SLMCTL" pull "oci://$HOST/skills/tiny:$VERSION" --registry fresh --plain-http
expect_exit 0 "slmctl pulls what skopeo pushed (no referrers there)" -- \
  "$SLMCTL" pull "oci://$HOST/skopeo/tiny:v1" --registry R3 --plain-http --json
[[ "$(field "$WORK/out" 'd["oci_manifest"]')" == "$MANIFEST" ]] && ok || fail "same digest through skopeo"
expect_exit 0 "fsck after pulling skopeo's copy" -- "$SLMCTL" fsck --registry R3

# ---- the OCI 1.1 referrers API -----------------------------------------------
# docker-registry 2.8 has none, so a small proxy in front of it adds one the
# way OCI 1.1 registries do: manifest pushes with a subject get an OCI-Subject
# header and are listed by GET /v2/<repo>/referrers/<digest>.
cat >referrers_proxy.py <<'PY'
import hashlib, http.client, http.server, json, sys
port, backend = int(sys.argv[1]), int(sys.argv[2])
index = {}  # subject digest -> referrer descriptors
class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers: self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
    def relay(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = self.path.split("?")[0]
        if self.command == "GET" and "/referrers/" in path:
            out = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                              "manifests": index.get(path.rsplit("/", 1)[1], [])}).encode()
            return self.reply(200, [("Content-Type", "application/vnd.oci.image.index.v1+json"),
                                    ("Content-Length", str(len(out)))], out)
        conn = http.client.HTTPConnection("127.0.0.1", backend)
        conn.request(self.command, self.path, body=body,
                     headers={k: v for k, v in self.headers.items() if k.lower() not in ("connection", "expect")})
        r = conn.getresponse()
        data = r.read()
        headers = [(k, v) for k, v in r.getheaders() if k.lower() not in ("connection", "transfer-encoding", "content-length")]
        headers.append(("Content-Length", r.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))))
        if self.command == "PUT" and "/manifests/" in path and r.status == 201:
            doc = json.loads(body)
            if "subject" in doc:
                d = {"mediaType": doc["mediaType"], "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                     "size": len(body), "artifactType": doc["artifactType"]}
                entries = index.setdefault(doc["subject"]["digest"], [])
                if d["digest"] not in [e["digest"] for e in entries]: entries.append(d)
                headers.append(("OCI-Subject", doc["subject"]["digest"]))
        self.reply(r.status, headers, data)
    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = relay
http.server.ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
PY
PROXY_PORT=$(free_port)
$PY referrers_proxy.py "$PROXY_PORT" "$PORT" 2>referrers_proxy.err &
PIDS+=($!)
wait_port "$PROXY_PORT" || { echo "FAIL: the referrers proxy did not start" >&2; cat referrers_proxy.err >&2; exit 1; }
expect_exit 0 "push to a registry with the referrers API" -- \
  "$SLMCTL" push "$REF" "oci://127.0.0.1:$PROXY_PORT/api/tiny" --registry R1 --plain-http --json
[[ "$(field "$WORK/out" 'd["referrers_via"]')" == api ]] && ok || fail "push sees OCI-Subject and uses the API"
expect_exit 1 "no referrers tag is written where the API exists" -- \
  "${SKOPEO[@]}" inspect --raw --tls-verify=false "docker://$HOST/api/tiny:sha256-${MANIFEST#sha256:}"
expect_exit 0 "pull through the referrers API" -- \
  "$SLMCTL" pull "oci://127.0.0.1:$PROXY_PORT/api/tiny:$VERSION" --registry R10 --plain-http --json
[[ "$(field "$WORK/out" 'd["referrers_via"] + " " + str(len(d["referrers"]))')" == "api 2" ]] && ok ||
  fail "pull lists both referrers through the API"
same_version R1 R10 "$REF"

# ---- not found, not ours, conflicts ------------------------------------------
expect_exit 5 "unknown tag" -- "$SLMCTL" pull "oci://$HOST/skills/tiny:9.9.9" --registry R4 --plain-http
expect_stderr_contains "MANIFEST_UNKNOWN" "the registry's error code is shown"
expect_exit 5 "unknown digest" -- \
  "$SLMCTL" pull "oci://$HOST/skills/tiny@sha256:$(printf '0%.0s' {1..64})" --registry R4 --plain-http
expect_exit 5 "unknown repository" -- "$SLMCTL" pull "oci://$HOST/nothing/here:1" --registry R4 --plain-http
[[ ! -e R4 ]] && ok || fail "failed pulls create no registry"
expect_exit 3 "the referrers index is not a skill version" -- \
  "$SLMCTL" pull "oci://$HOST/skills/tiny:sha256-${MANIFEST#sha256:}" --registry R4 --plain-http
expect_exit 2 "pull needs a tag or digest" -- "$SLMCTL" pull "oci://$HOST/skills/tiny" --registry R4 --plain-http
expect_exit 2 "bad repository name" -- "$SLMCTL" pull "oci://$HOST/Skills/tiny:1" --plain-http
expect_exit 2 "credentials in the URL" -- "$SLMCTL" pull "oci://u:p@$HOST/skills/tiny:1" --plain-http
expect_exit 5 "push of an unknown version" -- \
  "$SLMCTL" push "$NAME:9.9.9" "oci://$HOST/skills/tiny" --registry R1 --plain-http
# The same NAME:VERSION made from other content: a conflict, R2 untouched.
mkdir other && cp "$SOURCE_DIR/fixtures/tiny/weights.safetensors" other/ &&
  sed 's/^description: .*/description: "another build"/' "$SOURCE_DIR/fixtures/tiny/spec.yaml" >other/spec.yaml
"$SLMCTL" pack other/spec.yaml -o other.slm --add --registry R5 2>/dev/null || fail "pack the other build"
expect_exit 0 "push the other build" -- "$SLMCTL" push "$REF" "oci://$HOST/other/tiny" --registry R5 --plain-http
before=$(snapshot R2)
expect_exit 6 "pull of another manifest for an existing version" -- \
  "$SLMCTL" pull "oci://$HOST/other/tiny:$VERSION" --registry R2 --plain-http
[[ "$(snapshot R2)" == "$before" ]] && ok || fail "a conflicting pull leaves R2 unchanged"

# ---- tampered content on the server: refused, nothing admitted --------------
blob_file() { echo "$WORK/srv/data/docker/registry/v2/blobs/sha256/${1:7:2}/${1#sha256:}/data"; }
"$SLMCTL" pack "$SOURCE_DIR/fixtures/tiny-bpe/spec.yaml" -o bpe.slm --add --registry R6 2>/dev/null || fail "pack into R6"
tamper() {  # tamper DIGEST: upper-cases one of a-f past the middle (same size; JSON stays JSON)
  local f; f=$(blob_file "$1"); cp "$f" "$f.orig"
  $PY - "$f" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
i = next(i for i in range(len(b) // 2, len(b)) if b[i] in b"abcdef")
b[i] -= 32; open(p, "wb").write(bytes(b))
PY
}
untamper() { local f; f=$(blob_file "$1"); mv "$f.orig" "$f"; }
for what in artifact sidecar manifest; do
  case $what in
    artifact) digest=$ARTIFACT ;;
    sidecar) digest=$SIDECAR_BLOB ;;
    manifest) digest=$MANIFEST ;;
  esac
  tamper "$digest"
  before=$(snapshot R6)
  expect_exit 3 "pull with a tampered $what on the server" -- \
    "$SLMCTL" pull "oci://$HOST/skills/tiny:$VERSION" --registry R6 --plain-http
  expect_stderr_contains "$digest" "the refusal names the $what digest"
  [[ "$(snapshot R6)" == "$before" ]] && ok || fail "a refused pull ($what) leaves R6 unchanged"
  expect_exit 3 "pull into a new registry with a tampered $what" -- \
    "$SLMCTL" pull "oci://$HOST/skills/tiny:$VERSION" --registry R7 --plain-http
  [[ ! -e R7 ]] && ok || fail "a refused pull ($what) creates no registry"
  untamper "$digest"
done
expect_exit 0 "pull once the content is intact again" -- \
  "$SLMCTL" pull "oci://$HOST/skills/tiny:$VERSION" --registry R6 --plain-http
expect_exit 0 "fsck after the pull" -- "$SLMCTL" fsck --registry R6
same_version R1 R6 "$REF"

# ---- TLS (self-signed CA) and basic auth (bcrypt htpasswd) -------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout tls.key -out tls.crt -subj "/CN=slmctl test registry" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1 || fail "openssl self-signed certificate"
# docker-registry accepts only bcrypt; Python's crypt (libxcrypt) makes it, else htpasswd from apache2-utils.
if ! $PY -W ignore -c 'import crypt, sys; h = crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)); assert h and h.startswith("$2"); print("alice:" + h)' \
     's3cret pw' >htpasswd 2>/dev/null; then
  if ! command -v htpasswd >/dev/null; then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends apache2-utils >/dev/null; } ||
      fail "cannot install apache2-utils for htpasswd"
  fi
  htpasswd -nbB alice 's3cret pw' >htpasswd
fi
TLS_PORT=$(free_port)
start_registry "$WORK/tls" "$TLS_PORT" "  tls:
    certificate: $WORK/tls.crt
    key: $WORK/tls.key
auth:
  htpasswd:
    realm: slmctl-test
    path: $WORK/htpasswd"
TLS_HOST="127.0.0.1:$TLS_PORT"
expect_exit 10 "TLS with an unknown CA" -- "$SLMCTL" push "$REF" "oci://$TLS_HOST/secure/tiny" --registry R1
expect_stderr_contains "--ca-file" "the certificate error suggests --ca-file"
expect_exit 4 "no credentials" -- "$SLMCTL" push "$REF" "oci://$TLS_HOST/secure/tiny" --registry R1 --ca-file tls.crt
expect_stderr_contains "401" "the refusal shows the status"
echo "wrong" >wrong.pw
expect_exit 4 "wrong password" -- "$SLMCTL" push "$REF" "oci://$TLS_HOST/secure/tiny" --registry R1 --ca-file tls.crt \
  --username alice --password-stdin <wrong.pw
expect_exit 2 "a user without a password" -- \
  env -u SLMCTL_REGISTRY_PASSWORD "$SLMCTL" push "$REF" "oci://$TLS_HOST/secure/tiny" --registry R1 --username alice
printf 's3cret pw\n' >good.pw
expect_exit 0 "push with --ca-file and basic auth" -- \
  "$SLMCTL" push "$REF" "oci://$TLS_HOST/secure/tiny:release" --registry R1 --ca-file tls.crt \
  --username alice --password-stdin <good.pw
expect_exit 0 "pull with credentials from the environment" -- \
  env SLMCTL_REGISTRY_USERNAME=alice SLMCTL_REGISTRY_PASSWORD='s3cret pw' \
  "$SLMCTL" pull "oci://$TLS_HOST/secure/tiny:release" --registry R8 --ca-file tls.crt
expect_exit 0 "fsck after the TLS pull" -- "$SLMCTL" fsck --registry R8
same_version R1 R8 "$REF"
expect_exit 0 "--insecure skips certificate verification" -- \
  env SLMCTL_REGISTRY_USERNAME=alice SLMCTL_REGISTRY_PASSWORD='s3cret pw' \
  "$SLMCTL" pull "oci://$TLS_HOST/secure/tiny:release" --registry R8 --insecure
expect_exit 0 "skopeo reads the TLS registry with the same digest" -- \
  "${SKOPEO[@]}" inspect --raw --tls-verify=false --creds 'alice:s3cret pw' \
  "docker://$TLS_HOST/secure/tiny:release"
[[ "sha256:$(sha256sum <"$WORK/out" | cut -d' ' -f1)" == "$MANIFEST" ]] && ok || fail "same manifest over TLS"

# ---- Bearer tokens: docker-registry's token auth and a small token server ----
# The server grants what is asked to alice (Basic auth on the token request)
# and nothing to anonymous callers; tokens are RS256 JWTs signed with openssl,
# the signing certificate in the x5c header (the registry trusts its bundle).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout token.key -out token.crt -subj "/CN=slmctl test token issuer" \
  >/dev/null 2>&1 || fail "openssl token certificate"
cat >token_server.py <<'PY'
import base64, http.server, json, subprocess, sys, time, urllib.parse, uuid
port, key, cert, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], capture_output=True, check=True).stdout
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
GOOD = "Basic " + base64.b64encode(b"alice:s3cret pw").decode()
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        auth = self.headers.get("Authorization")
        if auth is not None and auth != GOOD:
            self.send_response(401); self.end_headers(); return
        access = []
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":")
            if auth == GOOD:
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        with open(log, "a") as f:
            f.write(json.dumps({"user": "alice" if auth else None, "scope": q.get("scope", []), "service": q.get("service")}) + "\n")
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": "slmctl-test-issuer", "sub": "alice" if auth else "", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                             capture_output=True, check=True).stdout
        body = json.dumps({"token": signing_input + "." + b64(sig), "expires_in": 300}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
PY
TOKEN_PORT=$(free_port)
$PY token_server.py "$TOKEN_PORT" token.key token.crt token.log 2>token_server.err &
PIDS+=($!)
wait_port "$TOKEN_PORT" || { echo "FAIL: the token server did not start" >&2; cat token_server.err >&2; exit 1; }
BEARER_PORT=$(free_port)
start_registry "$WORK/bearer" "$BEARER_PORT" "auth:
  token:
    realm: http://127.0.0.1:$TOKEN_PORT/token
    service: slmctl-test
    issuer: slmctl-test-issuer
    rootcertbundle: $WORK/token.crt"
BEARER_HOST="127.0.0.1:$BEARER_PORT"
expect_exit 4 "bearer: anonymous push is refused" -- \
  "$SLMCTL" push "$REF" "oci://$BEARER_HOST/bearer/tiny" --registry R1 --plain-http
expect_exit 0 "bearer: push with a token fetched with the credentials" -- \
  "$SLMCTL" push "$REF" "oci://$BEARER_HOST/bearer/tiny" --registry R1 --plain-http --username alice --password-stdin <good.pw
# (docker-registry orders the actions of a scope at random: pull,push or push,pull)
if $PY - token.log <<'PY'; then ok; else fail "the token server granted a push scope to alice"; cat token.log >&2; fi
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert any(l["user"] == "alice" and any(s.startswith("repository:bearer/tiny:") and
           set(s.rsplit(":", 1)[1].split(",")) == {"pull", "push"} for s in l["scope"]) for l in lines), lines
PY
expect_exit 4 "bearer: wrong password for the token" -- \
  "$SLMCTL" pull "oci://$BEARER_HOST/bearer/tiny:$VERSION" --registry R9 --plain-http --username alice --password-stdin <wrong.pw
expect_exit 0 "bearer: pull with credentials from the environment" -- \
  env SLMCTL_REGISTRY_USERNAME=alice SLMCTL_REGISTRY_PASSWORD='s3cret pw' \
  "$SLMCTL" pull "oci://$BEARER_HOST/bearer/tiny:$VERSION" --registry R9 --plain-http
expect_exit 0 "fsck after the bearer pull" -- "$SLMCTL" fsck --registry R9
same_version R1 R9 "$REF"

finish
