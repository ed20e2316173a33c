#!/usr/bin/env bash
# Installs what classbox needs on Debian 12 / Raspberry Pi OS, then the npm dependencies.
# Idempotent: a second run checks and does nothing (well under 2 s). `npm start` and `npm test`
# call it first, so a fresh machine needs one command to run and one to test.
#   --dry-run   say what would be installed, change nothing
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DRY_RUN=0
[[ "${1:-}" == "--dry-run" ]] && DRY_RUN=1

# GStreamer 1.22 runtime and headers (the addon builds against them), the plugin sets the pipelines
# use, the broker and tools the tests start (mosquitto, socat), ffmpeg/ffprobe for checking media.
PACKAGES=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-x gstreamer1.0-alsa fonts-dejavu-core gir1.2-gst-rtsp-server-1.0 python3-gi
  mosquitto mosquitto-clients socat ffmpeg openssl
  # node-gyp compiles the native addons at install (the GStreamer binding, GPIO, SQLite): a board's
  # minimal image has no compiler (found on the emulated arm64 board: `not found: make`).
  build-essential python3
)
# Servers and tools the tests check classbox against (nginx-rtmp as a live platform, Prometheus'
# promtool for /metrics, systemd-analyze for the unit's hardening); a box does not need them.
[[ ${CLASSBOX_SETUP_BROWSER:-1} == 1 ]] && PACKAGES+=(prometheus nginx-light libnginx-mod-rtmp systemd)
# PostgreSQL's server, started by the tests of `classbox central` on a PostgreSQL database.
[[ ${CLASSBOX_SETUP_BROWSER:-1} == 1 ]] && PACKAGES+=(postgresql-15)
# A screen and a sound card without hardware, for what a classroom sees and hears (the receiving
# classroom's screen in the tests; `npm run bench -- latency`): Xvfb, PulseAudio with null sinks, ALSA's
# `pulse` device.
[[ ${CLASSBOX_SETUP_BROWSER:-1} == 1 ]] && PACKAGES+=(xvfb pulseaudio pulseaudio-utils libasound2-plugins)
# The technician page is tested in a real browser; a box does not need one.
[[ ${CLASSBOX_SETUP_BROWSER:-1} == 1 ]] && PACKAGES+=(chromium)

say() { printf 'setup: %s\n' "$*" >&2; }

missing_packages() {
  local installed
  # dpkg-query exits 1 when any named package is unknown, which is exactly the case to handle.
  installed=$( (dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true) | awk '$2 ~ /^ii/ {print $1}')
  for p in "${PACKAGES[@]}"; do
    grep -qx "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else say "need root (or passwordless sudo) to run: $*"; return 1
  fi
}

if command -v dpkg-query >/dev/null; then
  mapfile -t MISSING < <(missing_packages)
  if ((${#MISSING[@]} > 0)); then
    say "installing: ${MISSING[*]}"
    if ((DRY_RUN == 0)); then
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null
    fi
  fi
else
  say "not a Debian system: install GStreamer 1.22 (+ dev headers, plugins base/good/bad/ugly/libav), mosquitto, socat and ffmpeg yourself"
fi

# npm dependencies: reinstall when the lock file, our patches to dependencies or Node's ABI changed,
# or when the GStreamer addon is missing (npm ci ran before the headers were there).
STAMP=node_modules/.classbox-setup
want="$(cat package-lock.json patches/*.patch 2>/dev/null | sha256sum | cut -d' ' -f1) node-$(node -p 'process.versions.modules')"
if [[ ! -f $STAMP || "$(cat "$STAMP")" != "$want" || ! -f node_modules/gstreamer-superficial/build/Release/gstreamer-superficial.node ]]; then
  say "installing npm dependencies (npm ci)"
  if ((DRY_RUN == 0)); then
    npm ci --no-audit --no-fund --loglevel=error
    printf '%s' "$want" >"$STAMP"
  fi
fi
