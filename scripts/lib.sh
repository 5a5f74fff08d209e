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

# System packages, from scripts/packages.txt (one list for ./run, ./test and .ci/run).
PACKAGES_FILE="$ROOT/scripts/packages.txt"

# packages_of [GROUP...]: the packages of these groups (of every group when none is named).
packages_of() {
  local want=" $* " group rest
  while read -r group rest; do
    case "$group" in ''|'#'*) continue ;; esac
    if [ $# -eq 0 ] || [[ "$want" == *" $group "* ]]; then echo "$rest"; fi
  done < "$PACKAGES_FILE" | tr ' ' '\n' | grep -v '^$'
}

# missing_groups [GROUP...]: the groups with a package dpkg does not know as installed.
# Without dpkg (not Debian) nothing can be said here; the test suite's skip summary speaks.
missing_groups() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local want=" $* " group rest pkg
  while read -r group rest; do
    case "$group" in ''|'#'*) continue ;; esac
    if [ $# -gt 0 ] && [[ "$want" != *" $group "* ]]; then continue; fi
    for pkg in $rest; do
      if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
        echo "$group"; break
      fi
    done
  done < "$PACKAGES_FILE"
}

install_command() {  # install_command GROUP...: the command a root user would run
  echo "apt-get install --no-install-recommends $(packages_of "$@" | tr '\n' ' ')" | sed 's/ *$//'
}

# ensure_system_packages [GROUP...]: install what is missing of these groups (all when none)
# when we may (root with apt); otherwise say what is missing and the command that installs it.
# Returns 1 when something is still missing.
ensure_system_packages() {
  local missing
  missing="$(missing_groups "$@" | tr '\n' ' ' | sed 's/ *$//')"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    say "Installing system packages: $missing"
    local had_postgres=1
    dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q 'ok installed' || had_postgres=0
    # shellcheck disable=SC2086,SC2046
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends $(packages_of $missing) >/dev/null || return 1
    if [ "$had_postgres" = 0 ] && [[ " $missing " == *" postgres "* ]]; then
      # Debian starts a cluster of its own on install; the suite runs a throwaway one.
      service postgresql stop >/dev/null 2>&1 || true
    fi
    return 0
  fi
  # shellcheck disable=SC2086
  echo "note: system packages missing for: $missing. Install them as root with:" >&2
  # shellcheck disable=SC2086
  echo "  $(install_command $missing)" >&2
  return 1
}

# What ./run needs: the libraries and fonts WeasyPrint draws PDF documents with.
ensure_system_libraries() {
  ensure_system_packages pdf || true
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
