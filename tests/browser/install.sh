#!/usr/bin/env bash
# Installs the browser test's driver (playwright-core, pinned in package.json,
# exact tree in package-lock.json) into .cache/browser/ at the repo root. The
# browser itself is Debian's chromium (apt), never a download of Playwright's.
#
# Idempotent: does nothing when the installed tree matches the lockfile.
# Exit codes: 0 ok; 77 only when the npm registry cannot be reached
# ("SKIP: npm registry unreachable"); anything else is an error.
# Override the location with SLM_BROWSER_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="${SLM_BROWSER_DIR:-$root/.cache/browser}"
say() { echo "browser: $*" >&2; }
die() { echo "browser: error: $*" >&2; exit 1; }

command -v node >/dev/null || die "node not found (node >= 20 is needed)"
command -v npm >/dev/null || die "npm not found"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "node $(node --version) is too old (playwright-core needs >= 20)"

# The stamp is the hash of the manifest + lockfile; a match means installed.
stamp="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
if [[ -f "$dest/.installed" && "$(cat "$dest/.installed")" == "$stamp" &&
      -f "$dest/node_modules/playwright-core/package.json" ]]; then
  say "up to date in $dest"
  exit 0
fi

registry_up() {
  timeout 60 npm ping --fetch-retries=2 --fetch-retry-mintimeout=1000 \
    --fetch-retry-maxtimeout=4000 --fetch-timeout=20000 >/dev/null 2>&1
}
if ! registry_up; then
  echo "SKIP: npm registry unreachable" >&2
  exit 77
fi

mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
rm -f "$dest/.installed"
# npm ci: exactly the lockfile's tree. No install scripts, and no browser
# download (playwright-core has none, the variable makes sure).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
log="$dest/npm-install.log"
say "npm ci in $dest (node $(node --version), npm $(npm --version 2>/dev/null))"
start=$SECONDS
for attempt in 1 2 3; do
  if (cd "$dest" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >"$log" 2>&1; then
    break
  fi
  tail -n 20 "$log" >&2
  if ! registry_up; then echo "SKIP: npm registry unreachable" >&2; exit 77; fi
  ((attempt < 3)) || die "npm ci failed 3 times with the registry reachable (log: $log)"
  say "npm ci failed (attempt $attempt), retrying in 5 s"
  sleep 5
done

# Every direct dependency has exactly the pinned version.
# shellcheck disable=SC2016  # JS template literals, not shell
(cd "$dest" && node -e '
  const deps = require("./package.json").dependencies;
  for (const [name, want] of Object.entries(deps)) {
    const got = require(`./node_modules/${name}/package.json`).version;
    if (got !== want) { console.error(`browser: error: ${name} ${got} installed, ${want} pinned`); process.exit(1); }
  }') || exit 1
echo "$stamp" >"$dest/.installed"
say "installed playwright-core $(node -p 'require(process.argv[1]).version' "$dest/node_modules/playwright-core/package.json") in $((SECONDS - start)) s"
