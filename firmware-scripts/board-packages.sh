#!/usr/bin/env bash
# The Debian packages classbox needs in its container, for one balena device type.
#   board-packages.sh [--dev] [--dry-run] DEVICE_TYPE
# --dev adds the headers the native addons build against (the build stage only).
# Jetson boards take NVIDIA's L4T GStreamer (nvv4l2h264enc, nvvidconv) from NVIDIA's apt repository.
set -euo pipefail
DEV=0
DRY_RUN=0
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --dev) DEV=1 ;;
    --dry-run) DRY_RUN=1 ;;
    *) echo "board-packages.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
DEVICE=${1:?usage: board-packages.sh [--dev] [--dry-run] DEVICE_TYPE}

PACKAGES=(gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x gstreamer1.0-alsa fonts-dejavu-core v4l-utils socat)
((DEV)) && PACKAGES+=(libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev)
case $DEVICE in
  raspberrypi*) PACKAGES+=(gstreamer1.0-libcamera) ;;
  jetson-*) PACKAGES+=(nvidia-l4t-gstreamer) ;;
  genericx86-64*) PACKAGES+=(gstreamer1.0-vaapi) ;;
  *) echo "board-packages.sh: unknown device type $DEVICE" >&2; exit 2 ;;
esac

run() { if ((DRY_RUN)); then printf 'would run: %s\n' "$*"; else "$@"; fi; }
# NVIDIA's user-space must be the release the board's L4T runs: Orin modules run JetPack 6 (L4T r36,
# SoC t234), Xavier ones JetPack 5 at most (L4T r35, SoC t194; JetPack 6 does not support Xavier).
# Each release has a common repository and one per SoC.
case $DEVICE in
  jetson-orin-*) L4T=(r36.4 t234) ;;
  jetson-xavier-*) L4T=(r35.4 t194) ;;
  jetson-*) echo "board-packages.sh: no L4T release known for $DEVICE" >&2; exit 2 ;;
esac
if [[ $DEVICE == jetson-* ]]; then
  run install_packages curl ca-certificates
  run sh -c "printf 'deb https://repo.download.nvidia.com/jetson/common ${L4T[0]} main\\ndeb https://repo.download.nvidia.com/jetson/${L4T[1]} ${L4T[0]} main\\n' > /etc/apt/sources.list.d/nvidia-l4t.list"
  run sh -c 'curl -fsSL https://repo.download.nvidia.com/jetson/jetson-ota-public.asc > /etc/apt/trusted.gpg.d/jetson-ota-public.asc'
fi
run install_packages "${PACKAGES[@]}"
