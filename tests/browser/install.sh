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
tag=browser
source "$root/tests/npm_pinned.sh"

npm_need_node
if npm_up_to_date node_modules/playwright-core/package.json; then
  say "up to date in $dest"
  exit 0
fi

# npm ci: exactly the lockfile's tree. No install scripts, and no browser
# download (playwright-core has none, the variable makes sure).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
start=$SECONDS
npm_install_retry ci
npm_check_pinned
npm_mark_installed
say "installed playwright-core $(node -p 'require(process.argv[1]).version' "$dest/node_modules/playwright-core/package.json") in $((SECONDS - start)) s"
