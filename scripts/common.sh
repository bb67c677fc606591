# Sourced by the scripts that drive a Release slmctl (demo.sh, skills-report.sh).
# release_slmctl DIR: installs what is missing, builds slmctl in Release, sets
# SLMCTL to the binary and OUT to DIR (absolute), emptied.
release_slmctl() {
  scripts/install-deps.sh
  scripts/build.sh release >/dev/null
  SLMCTL="$PWD/build/release/apps/slmctl/slmctl"
  OUT="$PWD/$1"
  rm -rf "$OUT" && mkdir -p "$OUT"
}
