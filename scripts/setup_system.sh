#!/usr/bin/env bash
# Installs the Debian packages LocaNext needs on this machine: PostgreSQL (private clusters),
# the Rust crates that cr-sqlite's build takes from Debian, WebKitGTK for the pytauri window,
# Xvfb, Chromium and xdotool (typing into a native file dialog) for the window and browser
# tests, gettext (msgfmt, the yardstick the PO reader's strictness is tested against). Idempotent: installs only what is missing.
set -euo pipefail

packages=(
  postgresql
  librust-bytes-dev librust-num-traits-dev librust-num-derive-dev
  cargo rustc make gcc
  libwebkit2gtk-4.1-0 libgtk-3-0 libsoup-3.0-0 libjavascriptcoregtk-4.1-0 libgl1-mesa-dri
  xvfb xauth chromium imagemagick xdotool
  gettext
)

missing=()
for p in "${packages[@]}"; do
  # Skip toolchains that are already on PATH from elsewhere (rustup, pyenv).
  case "$p" in
    cargo|rustc|make|gcc) command -v "$p" >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
