#!/usr/bin/env bash
# Installs what Waybill Desk needs to build, run and test, and nothing that is already there.
# Debian/Ubuntu: installs the missing apt packages (a second run installs nothing).
# macOS / Windows: prints what to install; the Go toolchain is expected on every system.
#
# Usage: scripts/setup.sh [run|windows|test]
#   run     - what `make run`/`make build`/`make package` need: compiler, GL/X11 headers, Chromium, CJK font
#   windows - the run set plus the Windows cross-compiler (`make windows`)
#   test    - all of it plus the test tools (`make test`, the default)
set -euo pipefail

MODE="${1:-test}"
case "$MODE" in
  run|windows|test) ;;
  *) printf 'usage: %s [run|windows|test]\n' "$0" >&2; exit 2 ;;
esac

# Packages, measured in ../shared/platform.md:
#   build  - cgo compiler and the GL/X11 headers Fyne's GLFW driver links against,
#            and xz-utils since `make package` writes a .tar.xz
#   render - a headless Chromium and CJK fonts for the labels: Noto Sans CJK for its real
#            bold (WenQuanYi has none, and Chromium's synthetic bold makes a label's PDF
#            about 30% slower to print and 4x larger), WenQuanYi Micro Hei for labels that name it
#   windows- MinGW-w64 for the Windows cross-build (100 MB download, 537 MB on disk, so `make run`
#            does without it) and file(1) to check the .exe is PE32+
#   test   - Xvfb for the GUI and the installed package, poppler (pdfinfo/pdftotext/pdftoppm),
#            zbar (barcode reader), CUPS, and a private D-Bus with gnome-keyring so the
#            settings are tested against a real Secret Service (settings/keyringtest)
BUILD_PKGS="gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev xz-utils"
RENDER_PKGS="fonts-noto-cjk fonts-wqy-microhei"
WINDOWS_PKGS="gcc-mingw-w64-x86-64 file"
TEST_PKGS="xvfb xauth xdotool imagemagick poppler-utils zbar-tools cups cups-client dbus gnome-keyring"

say() { printf 'setup: %s\n' "$*" >&2; }

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    say "Go is not installed: get Go 1.25 or newer from https://go.dev/dl/ and run this again."
    exit 1
  fi
}

setup_debian() {
  local want="$BUILD_PKGS $RENDER_PKGS" missing="" pkg
  case "$MODE" in
    windows) want="$want $WINDOWS_PKGS" ;;
    test) want="$want $WINDOWS_PKGS $TEST_PKGS" ;;
  esac
  # Chromium: Debian ships the fast headless shell; Ubuntu only has the full browser (a snap).
  if ! command -v chromium-headless-shell >/dev/null 2>&1 && ! [ -x /usr/bin/chromium-headless-shell ]; then
    if command -v chromium >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
      : # some Chromium is already here; the renderer finds it
    elif apt-cache show chromium-headless-shell >/dev/null 2>&1; then
      want="$want chromium-headless-shell"
    else
      want="$want chromium"
    fi
  fi
  for pkg in $want; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
  if [ -z "$missing" ]; then
    say "all system packages present ($MODE set)"
    return
  fi
  say "installing:$missing"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { say "need root (or sudo) to install:$missing"; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
  say "installed:$missing"
}

setup_macos() {
  say "macOS: install Xcode command line tools (xcode-select --install), Go, and Google Chrome or Chromium."
  [ "$MODE" != run ] && say "for the Windows cross-build: brew install mingw-w64"
  [ "$MODE" = test ] && say "for the tests also: brew install poppler zbar"
  return 0
  say "Chinese text uses the system fonts (PingFang SC); label printers go through CUPS, which macOS has."
}

setup_windows() {
  say "Windows: install Go, a MinGW-w64 gcc for cgo (e.g. 'winget install -e --id BrechtSanders.WinLibs.POSIX.UCRT' or MSYS2),"
  say "and Google Chrome or Microsoft Edge (Edge is preinstalled on Windows 10/11)."
  [ "$MODE" = test ] && say "for the tests also: poppler and zbar (MSYS2: pacman -S mingw-w64-x86_64-poppler mingw-w64-x86_64-zbar)."
  return 0
}

need_go
case "$(uname -s)" in
  Linux)
    if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
      setup_debian
    else
      if [ "$MODE" = test ]; then
        say "not a Debian/Ubuntu system: install the equivalents of: $BUILD_PKGS $RENDER_PKGS $WINDOWS_PKGS $TEST_PKGS chromium"
      else
        say "not a Debian/Ubuntu system: install the equivalents of: $BUILD_PKGS $RENDER_PKGS chromium"
      fi
    fi ;;
  Darwin) setup_macos ;;
  MINGW*|MSYS*|CYGWIN*) setup_windows ;;
  *) say "unknown system $(uname -s): install a C compiler, Chrome/Chromium and a CJK font" ;;
esac
