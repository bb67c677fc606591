# Shared start of the peer suites (sourced after tests/cli/lib.sh):
# require_peers SCRIPT WHAT  runs tests/peers/SCRIPT (install.sh or
# fetch_vocab_tests.sh); when the npm registry is unreachable it says that
# WHAT was not checked and exits 77 (skip), or 1 when SLM_REQUIRE_PEERS=1 (CI).
PEERS_SRC="$SOURCE_DIR/tests/peers"
export SLM_PEERS_DIR="${SLM_PEERS_DIR:-$SOURCE_DIR/.cache/peers}"

require_peers() {
  local rc=0
  bash "$PEERS_SRC/$1" >peers-setup.log 2>&1 || rc=$?
  if ((rc == 77)); then
    echo "SKIP: npm registry unreachable; $2 was not checked" >&2
    [[ "${SLM_REQUIRE_PEERS:-0}" == 1 ]] && exit 1
    exit 77
  fi
  ((rc == 0)) || { cat peers-setup.log >&2; echo "FAIL: setting up the peers ($1)" >&2; exit 1; }
}
