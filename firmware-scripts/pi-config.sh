#!/usr/bin/env bash
# Raspberry Pi boot config for a classroom box:
#   pi-config.sh [--root DIR] [--dry-run] [--hdmi-bridge] [--edid FILE]
# - the UART on GPIO 14/15 for an RS-232 HAT (cameras and projectors), console off it;
# - with --hdmi-bridge: the TC358743 HDMI-to-CSI bridge overlay and a larger CMA pool (>= 96 MB), and
#   with --edid, a boot-time unit that loads that EDID into the bridge (v4l2-ctl --set-edid) so that
#   the laptop or board on the HDMI cable offers 1080p.
# Takes effect after a reboot. Idempotent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
parse_common "$@"
HDMI=0
EDID=""
set -- "${ARGS[@]+"${ARGS[@]}"}"
while [[ $# -gt 0 ]]; do
  case $1 in
    --hdmi-bridge) HDMI=1 ;;
    --edid) EDID=${2:?--edid needs a file}; shift ;;
    *) echo "pi-config.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# Bookworm keeps the boot partition at /boot/firmware; older images at /boot.
CONFIG=/boot/firmware/config.txt
[[ -d $ROOT/boot/firmware || ! -f $ROOT/boot/config.txt ]] || CONFIG=/boot/config.txt

ensure_line "$CONFIG" "enable_uart=1"
# The PL011 UART on the header instead of Bluetooth: a stable baud clock for RS-232 devices.
ensure_line "$CONFIG" "dtoverlay=disable-bt"
if ((HDMI)); then
  ensure_line "$CONFIG" "dtoverlay=tc358743"
  ensure_line "$CONFIG" "dtoverlay=vc4-kms-v3d,cma-96"
fi
if [[ -n $EDID ]]; then
  [[ -f $EDID ]] || { echo "pi-config.sh: no EDID file $EDID" >&2; exit 2; }
  put /etc/classbox/edid.txt "$(cat "$EDID")"
  put /etc/systemd/system/classbox-edid.service "[Unit]
Description=Load the HDMI bridge's EDID (TC358743) for classbox
Before=classbox.service
After=dev-video0.device

[Service]
Type=oneshot
ExecStart=/usr/bin/v4l2-ctl -d /dev/video0 --set-edid=file=/etc/classbox/edid.txt --fix-edid-checksums
ExecStart=/usr/bin/v4l2-ctl -d /dev/video0 --set-dv-bt-timings query

[Install]
WantedBy=multi-user.target"
  ((CHANGED)) && run systemctl enable classbox-edid.service
fi
if ((CHANGED)); then say "reboot to apply the boot config"; fi
