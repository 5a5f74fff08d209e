# Shared by ./run, ./test and .ci/run: find Python ≥ 3.12, make the venv, install from the lock.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

find_python() {
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    for v in 3.12 3.13; do
      local p
      p="$(pyenv prefix "$v" 2>/dev/null | head -n1)" && [ -x "$p/bin/python" ] && candidates+=("$p/bin/python")
    done
  fi
  candidates+=(python3.12 python3.13 python3)
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$c"
      return 0
    fi
  done
  echo "irflow needs Python 3.12 or newer; none found (install it or pyenv install 3.12)." >&2
  return 1
}

# System libraries WeasyPrint needs for PDFs, and fonts. Installed only when missing and
# when we may (root with apt); otherwise we say what is missing.
ensure_system_libraries() {
  if ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' && fc-list 2>/dev/null | grep -qi dejavu; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing pango and fonts for PDF documents"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig >/dev/null
  else
    echo "note: pango or DejaVu fonts are missing; PDF documents need them (apt install libpango-1.0-0 fonts-dejavu-core)." >&2
  fi
}

# Create .venv and install the locked dependencies when the lock changed since last time.
# `ensure_venv test` adds the test tools (requirements-test.lock).
ensure_venv() {
  local locks=("$ROOT/requirements.lock")
  [ "${1:-}" = test ] && locks+=("$ROOT/requirements-test.lock")
  local python
  if [ ! -x "$VENV/bin/python" ]; then
    python="$(find_python)"
    say "Creating virtual environment with $("$python" --version)"
    "$python" -m venv "$VENV"
  fi
  local stamp="$VENV/.irflow-lock" want
  want="$(cat "${locks[@]}" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "Installing dependencies from ${locks[*]##*/}"
    local args=()
    for lock in "${locks[@]}"; do args+=(-r "$lock"); done
    # (Some machines' pip configuration names package folders that do not exist; pip warns
    # about each one. Those lines are noise here.)
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}" \
      2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2) || return 1
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$ROOT" \
      2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2) || return 1
    echo "$want" > "$stamp"
  fi
}
