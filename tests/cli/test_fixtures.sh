#!/usr/bin/env bash
# The committed fixtures are exactly what the generator produces (the trained
# skills under fixtures/skills/ come from tools/train and have their own suite).
source "$(dirname "$0")/lib.sh"
: "${MAKE_FIXTURES:?MAKE_FIXTURES must point to the make_fixtures binary}"
"$MAKE_FIXTURES" fresh 2>/dev/null && ok || fail "make_fixtures ran"
if diff -r --exclude=README.md --exclude=skills "$SOURCE_DIR/fixtures" fresh >/dev/null; then ok; else
  fail "fixtures/ differs from a fresh make_fixtures run"; diff -rq --exclude=README.md --exclude=skills "$SOURCE_DIR/fixtures" fresh >&2
fi
# Two runs agree with each other too (no time or address dependence).
"$MAKE_FIXTURES" again 2>/dev/null
if diff -r fresh again >/dev/null; then ok; else fail "two generator runs differ"; fi
finish
