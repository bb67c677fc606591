# Shared by tests/peers/install.sh and tests/browser/install.sh: install npm
# packages pinned in a package.json + package-lock.json into a cache folder,
# once. Source it after setting `here` (the folder with the package files),
# `dest` (the install folder) and `tag` (the prefix of messages).
#   npm_need_node         node >= 20 and npm, or die
#   npm_up_to_date FILE.. the stamp matches and these files (under dest) exist
#   npm_install_retry CMD npm CMD (install or ci) in dest, up to 3 times;
#                         exit 77 when the registry turns out unreachable
#   npm_check_pinned      every direct dependency has its pinned version
#   npm_mark_installed    write the stamp
say() { echo "$tag: $*" >&2; }
die() { echo "$tag: error: $*" >&2; exit 1; }

npm_need_node() {
  command -v node >/dev/null || die "node not found (node >= 20 is needed)"
  command -v npm >/dev/null || die "npm not found"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  ((major >= 20)) || die "node $(node --version) is too old (>= 20 is needed)"
}

# The stamp is the hash of the manifest + lockfile; a match means installed.
npm_stamp() { cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16; }

npm_up_to_date() {
  [[ -f "$dest/.installed" && "$(cat "$dest/.installed")" == "$(npm_stamp)" ]] || return 1
  local f
  for f in "$@"; do [[ -f "$dest/$f" ]] || return 1; done
}

npm_registry_up() {
  timeout 60 npm ping --fetch-retries=2 --fetch-retry-mintimeout=1000 \
    --fetch-retry-maxtimeout=4000 --fetch-timeout=20000 >/dev/null 2>&1
}

npm_install_retry() {
  if ! npm_registry_up; then echo "SKIP: npm registry unreachable" >&2; exit 77; fi
  mkdir -p "$dest"
  cp "$here/package.json" "$here/package-lock.json" "$dest/"
  rm -f "$dest/.installed"
  local log="$dest/npm-install.log" attempt
  say "npm $1 in $dest (node $(node --version), npm $(npm --version 2>/dev/null))"
  for attempt in 1 2 3; do
    if (cd "$dest" && npm "$@" --no-audit --no-fund --ignore-scripts --loglevel=error) >"$log" 2>&1; then
      return 0
    fi
    tail -n 20 "$log" >&2
    if ! npm_registry_up; then echo "SKIP: npm registry unreachable" >&2; exit 77; fi
    ((attempt < 3)) || die "npm $1 failed 3 times with the registry reachable (log: $log)"
    say "npm $1 failed (attempt $attempt), retrying in 5 s"
    sleep 5
  done
}

npm_check_pinned() {
  # shellcheck disable=SC2016  # JS template literals, not shell
  (cd "$dest" && TAG="$tag" node -e '
    const deps = require("./package.json").dependencies;
    for (const [name, want] of Object.entries(deps)) {
      const got = require(`./node_modules/${name}/package.json`).version;
      if (got !== want) { console.error(`${process.env.TAG}: error: ${name} ${got} installed, ${want} pinned`); process.exit(1); }
    }') || exit 1
}

npm_mark_installed() { npm_stamp >"$dest/.installed"; }
