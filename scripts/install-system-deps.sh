#!/usr/bin/env bash
# Installs, with Debian's apt-get, what the tests need and a fresh machine lacks:
# chromium (driven by Playwright), PostgreSQL (the second database of the test suite),
# a font for the screenshots, tmux (the terminal player's tests type into it),
# espeak-ng (speaks the terminal player's cues), poppler-utils (pdftoppm and pdftotext
# turn the therapist's PDF report into pages and text for its tests) and ffmpeg (encodes the
# motion coach's annotated video as H.264, which browsers play) and nginx (`make cluster`
# runs it, as an ordinary process with a configuration of its own, in front of the app
# instances; on a machine with systemd, Debian also starts its own nginx service, which the
# cluster neither uses nor changes). Does nothing when everything is there.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -e /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || missing+=(fonts-liberation)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
{ command -v pdftoppm && command -v pdftotext; } >/dev/null 2>&1 || missing+=(poppler-utils)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
{ command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 || missing+=(nginx)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

echo "system packages: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || echo "apt-get update failed; trying the cached package lists" >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
