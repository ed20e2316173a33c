#!/usr/bin/env bash
# Installs classbox (checked out in /opt/classbox) as a systemd service with a watchdog, and stable
# device names:
#   install-service.sh [--root DIR] [--dry-run] [[tty:|video:]NAME=SERIAL ...]
# NAME=SERIAL gives the USB serial adapter (tty:) or camera (video:) whose ID_SERIAL_SHORT is SERIAL the
# stable name /dev/classbox/NAME, e.g. tty:ptz-teacher=A10KXYZ9 (`udevadm info /dev/ttyUSB0 | grep
# SERIAL_SHORT`); without a prefix both kinds match. Idempotent: the second run changes nothing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
parse_common "$@"

put /etc/systemd/system/classbox.service "$(cat "$HERE/systemd/classbox.service")"

rules="# Stable names for classbox's devices (written by install-service.sh)."
for arg in "${ARGS[@]+"${ARGS[@]}"}"; do
  kind=both
  pair=$arg
  case $arg in tty:*) kind=tty; pair=${arg#tty:} ;; video:*) kind=video; pair=${arg#video:} ;; esac
  name=${pair%%=*}
  serial=${pair#*=}
  if [[ ! $name =~ ^[a-z0-9][a-z0-9-]*$ || ! $serial =~ ^[A-Za-z0-9_.:-]+$ || $pair != *=* ]]; then
    echo "install-service.sh: bad device name pair '$pair' (want name=SERIAL)" >&2
    exit 2
  fi
  [[ $kind == video ]] || rules+=$'\n'"SUBSYSTEM==\"tty\", ENV{ID_SERIAL_SHORT}==\"$serial\", SYMLINK+=\"classbox/$name\", GROUP=\"dialout\", MODE=\"0660\""
  # A camera's first node (index 0) is its picture; the others are metadata.
  [[ $kind == tty ]] || rules+=$'\n'"SUBSYSTEM==\"video4linux\", ENV{ID_SERIAL_SHORT}==\"$serial\", ATTR{index}==\"0\", SYMLINK+=\"classbox/$name\", GROUP=\"video\", MODE=\"0660\""
done
put /etc/udev/rules.d/99-classbox.rules "$rules"

if [[ ! -f $ROOT/etc/classbox/classbox.yaml ]]; then
  # The example, with its data and recordings where the hardened unit lets the service write.
  put /etc/classbox/classbox.yaml "$(sed -e 's|^profile: |dataDir: /var/lib/classbox   # state: outbox, upload queue, schedule cache\nprofile: |' \
    -e 's|dir: \./recordings|dir: /var/lib/classbox/recordings|' "$HERE/../examples/classroom.yaml")"
else
  say "unchanged /etc/classbox/classbox.yaml (kept as configured)"
fi

if ! getent passwd classbox >/dev/null 2>&1; then
  run useradd --system --home-dir /opt/classbox --shell /usr/sbin/nologin classbox
fi
if ((CHANGED)); then
  run udevadm control --reload-rules
  run udevadm trigger
  run systemctl daemon-reload
  run systemctl enable --now classbox.service
fi
