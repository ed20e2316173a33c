# Shared by the install scripts: idempotent writes under a root, with --dry-run. Source it.
#   ROOT     where the system is ("" for the real one; tests use a temporary directory)
#   DRY_RUN  1: say what would change, change nothing
ROOT=${ROOT:-}
DRY_RUN=${DRY_RUN:-0}
CHANGED=0

say() { printf '%s\n' "$*"; }

# put PATH CONTENT [MODE]: writes the file when it differs (or is missing).
put() {
  local path="$ROOT$1" content=$2 mode=${3:-0644}
  if [[ -f $path ]] && [[ "$(cat "$path")" == "$content" ]]; then say "unchanged $1"; return 0; fi
  CHANGED=1
  if ((DRY_RUN)); then say "would write $1"; return 0; fi
  mkdir -p "$(dirname "$path")"
  printf '%s\n' "$content" >"$path"
  chmod "$mode" "$path"
  say "wrote $1"
}

# ensure_line PATH LINE: appends LINE to the file unless it is there already.
ensure_line() {
  local path="$ROOT$1" line=$2
  if [[ -f $path ]] && grep -qxF -- "$line" "$path"; then say "unchanged $1: $line"; return 0; fi
  CHANGED=1
  if ((DRY_RUN)); then say "would add to $1: $line"; return 0; fi
  mkdir -p "$(dirname "$path")"
  printf '%s\n' "$line" >>"$path"
  say "added to $1: $line"
}

# run CMD...: runs a command on the real system only (never under --root or --dry-run).
run() {
  if ((DRY_RUN)) || [[ -n $ROOT ]]; then say "would run: $*"; return 0; fi
  "$@"
}

parse_common() {
  ARGS=()
  while [[ $# -gt 0 ]]; do
    case $1 in
      --dry-run) DRY_RUN=1 ;;
      --root) ROOT=${2:?--root needs a directory}; shift ;;
      *) ARGS+=("$1") ;;
    esac
    shift
  done
}
