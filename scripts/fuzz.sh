#!/usr/bin/env bash
# Runs every fuzz target of the module for a few seconds each (FUZZTIME,
# default 3s), so `make test` tries fresh inputs on every CI run beside the
# kept corpus (testdata/fuzz/<Target>/, which plain `go test` replays).
# A failing input is written by Go into that folder: commit it with the fix.
#
# Usage: scripts/fuzz.sh [FUZZTIME]
#        KEEP=1 scripts/fuzz.sh 60s   also copies the inputs that found new
#                                     coverage into testdata/fuzz (to grow the kept corpus)
set -euo pipefail
FUZZTIME="${1:-${FUZZTIME:-3s}}"
GO="${GO:-go}"
cache="$($GO env GOCACHE)/fuzz"
fail=0
while IFS=: read -r file name; do
  dir="$(dirname "$file")"
  pkg="./$dir"
  printf 'fuzz: %s %s for %s\n' "$pkg" "$name" "$FUZZTIME"
  if ! $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel 2 "$pkg" >"${TMPDIR:-/tmp}/fuzz-$name.log" 2>&1; then
    cat "${TMPDIR:-/tmp}/fuzz-$name.log"
    fail=1
    continue
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    mod="$($GO list -f '{{.ImportPath}}' "$pkg")"
    if [ -d "$cache/$mod/$name" ]; then
      mkdir -p "$dir/testdata/fuzz/$name"
      cp -n "$cache/$mod/$name"/* "$dir/testdata/fuzz/$name/" 2>/dev/null || true
    fi
  fi
done < <(grep -rlE --include='*_test.go' '^func Fuzz' . --exclude-dir=.cache | sort | while read -r f; do
  f="${f#./}"
  grep -oE '^func (Fuzz[A-Za-z0-9_]*)' "$f" | sed "s|^func |$f:|"
done)
exit $fail
