#!/usr/bin/env bash
# Installs the Linux package that `make package` made, as a user would, and
# checks that the installed program runs and opens its window.
#
# Usage: scripts/package-test.sh "dist/Waybill Desk.tar.xz" VERSION
#
# Everything happens under a scratch folder in .cache/ (HOME too, so Fyne's
# preferences, the history and the logs land there). The last screenshot is
# kept as .cache/package-test/window.png.
set -euo pipefail
cd "$(dirname "$0")/.."

TARBALL="${1:?usage: $0 TARBALL VERSION}"
VERSION="${2:?usage: $0 TARBALL VERSION}"
TITLE="Waybill Desk|面单台" # the window title in English or Chinese (a regex)
OUT="$PWD/.cache/package-test"
WAIT=20 # seconds for the window to appear

say() { printf 'package-test: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

[ -f "$TARBALL" ] || fail "no package at $TARBALL (run make package)"
for tool in xvfb-run xdotool import tar make; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (make test installs it)"
done
mkdir -p .cache
SCRATCH="$(mktemp -d "$PWD/.cache/pkgtest.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
rm -rf "$OUT" && mkdir -p "$OUT"

# 1. Unpack and install into a prefix, with the tarball's own Makefile.
mkdir -p "$SCRATCH/src" "$SCRATCH/home"
tar -xJf "$TARBALL" -C "$SCRATCH/src"
SRC="$(dirname "$(find "$SCRATCH/src" -name Makefile -print -quit)")"
[ -n "$SRC" ] && [ -f "$SRC/Makefile" ] || fail "no Makefile in the package"
PREFIX="$SCRATCH/prefix"
make -s -C "$SRC" install DESTDIR= PREFIX="$PREFIX"
BIN="$PREFIX/bin/waybilldesk"
DESKTOP="$PREFIX/share/applications/cn.waybilldesk.desk.desktop"
ICON="$PREFIX/share/pixmaps/cn.waybilldesk.desk.png"
for f in "$BIN" "$DESKTOP" "$ICON"; do [ -s "$f" ] || fail "not installed: $f"; done
grep -qx "Name=Waybill Desk" "$DESKTOP" || fail "desktop entry has no Name=Waybill Desk: $(cat "$DESKTOP")"
grep -qx "Exec=waybilldesk" "$DESKTOP" || fail "desktop entry does not run waybilldesk: $(cat "$DESKTOP")"
say "installed $(du -h "$BIN" | cut -f1) binary, desktop entry and icon under $PREFIX"

# 2. The installed binary carries the version stamped at build time.
export LANG=en_US.UTF-8 # Fyne logs "Error parsing user locale C" otherwise
got="$("$BIN" --version)"
[ "$got" = "waybilldesk $VERSION" ] || fail "--version printed '$got', want 'waybilldesk $VERSION'"
say "$got"

# 3. It opens its window on a bare X server (no window manager, software GL).
export HOME="$SCRATCH/home" XDG_CONFIG_HOME="$SCRATCH/home/.config" XDG_CACHE_HOME="$SCRATCH/home/.cache"
DATA="$XDG_CONFIG_HOME/waybilldesk"
cat > "$SCRATCH/session.sh" <<SESSION
set -u
"$BIN" > "$OUT/stdout.txt" 2> "$OUT/stderr.txt" &
app=\$!
start=\$(date +%s%N)
if ! timeout $WAIT xdotool search --sync --onlyvisible --name "$TITLE" > "$OUT/window-id.txt"; then
  kill \$app 2>/dev/null
  echo "no window named '$TITLE' within ${WAIT}s" >&2
  exit 1
fi
echo "\$(( (\$(date +%s%N) - start) / 1000000 )) ms" > "$OUT/window-time.txt"
sleep 3 # let the first frame and the courier list draw
import -window root "$OUT/window.png"
kill -0 \$app 2>/dev/null || { echo "the program exited after opening its window" >&2; exit 1; }
kill \$app
wait \$app 2>/dev/null
exit 0
SESSION
xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" bash "$SCRATCH/session.sh" \
  || { cat "$OUT/stderr.txt" >&2 || true; fail "the installed program did not open its window"; }
say "window '$TITLE' appeared; screenshot $OUT/window.png"

# 4. Its data went to the per-user folder: the history, the GUI log (with
#    the start line) and the crash log file. (The day's backup is taken in
#    the background a few minutes after the window opens; upkeep's tests
#    cover it.)
for f in history.db waybilldesk.log crash.log; do
  [ -e "$DATA/$f" ] || fail "no $f in $DATA"
done
grep -q "msg=start version=$VERSION" "$DATA/waybilldesk.log" || fail "no start line in waybilldesk.log: $(tail -5 "$DATA/waybilldesk.log")"
[ -s "$DATA/crash.log" ] && fail "crash.log is not empty: $(cat "$DATA/crash.log")"
cp "$DATA/waybilldesk.log" "$OUT/"
say "PASS: data and log in $DATA"
