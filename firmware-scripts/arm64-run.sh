#!/usr/bin/env bash
# Runs a command inside the emulated arm64 board at ROOT (see arm64-board.sh), from BOARD_WORKDIR
# (default /): with binfmt_misc (registered here when we are root and it is not yet) a chroot in a
# mount namespace of its own, where arm64 binaries run through qemu as on the board; without it,
# proot, which fakes root and runs qemu itself (dpkg aborts under proot 5.1: the set-up needs binfmt).
#   arm64-run.sh ROOT COMMAND [ARGS...]
set -euo pipefail
ROOT=$1
shift
QEMU=/usr/bin/qemu-aarch64-static
ENV=(HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin)
# The kernel's entry for arm64 ELF binaries, pointing at the static qemu (F: opened now, usable in a chroot).
AARCH64='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
MASK='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

binfmt() {
  local dir=/proc/sys/fs/binfmt_misc
  [[ -e $dir/qemu-aarch64 ]] && return 0
  [[ $(id -u) -eq 0 ]] || return 1
  [[ -e $dir/register ]] || mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null || return 1
  printf ':qemu-aarch64:M::%s:%s:%s:F' "$AARCH64" "$MASK" "$QEMU" >"$dir/register" 2>/dev/null || return 1
}

if binfmt && command -v unshare >/dev/null; then
  exec unshare -m --propagation private -- /bin/bash -c '
    root=$1; dir=$2; shift 2
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && mount --rbind /sys "$root/sys"
    exec chroot "$root" /bin/sh -c "cd \"\$0\" && exec /usr/bin/env -i \"\$@\"" "$dir" "$@"
  ' _ "$ROOT" "${BOARD_WORKDIR:-/}" "${ENV[@]}" "$@"
fi
# Without seccomp: proot 5.1's seccomp path aborted in dpkg (compare_paths2 assertion).
PROOT_NO_SECCOMP=1 exec proot -q "$QEMU" -0 -r "$ROOT" -b /dev -b /proc -b /sys -w "${BOARD_WORKDIR:-/}" /usr/bin/env -i "${ENV[@]}" "$@"
