#!/usr/bin/env bash
# Jetson power mode for a classroom box: nvpmodel MODE now and at every boot.
#   jetson-power.sh [--root DIR] [--dry-run] MODE
# MODE is the nvpmodel id (`nvpmodel -q --verbose` lists them; 0 is the fastest on Orin NX and Xavier
# NX). Encoding three pictures live wants the fastest mode. Idempotent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
parse_common "$@"
MODE=${ARGS[0]:-}
[[ $MODE =~ ^[0-9]+$ ]] || { echo "jetson-power.sh: MODE must be an nvpmodel id (a number)" >&2; exit 2; }

put /etc/systemd/system/classbox-power.service "[Unit]
Description=Jetson power mode $MODE for classbox
Before=classbox.service

[Service]
Type=oneshot
ExecStart=/usr/sbin/nvpmodel -m $MODE

[Install]
WantedBy=multi-user.target"
if ((CHANGED)); then
  run systemctl enable classbox-power.service
  run /usr/sbin/nvpmodel -m "$MODE"
fi
