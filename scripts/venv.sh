#!/usr/bin/env bash
# Sourced by serve.sh and test.sh: make (once) and activate the project's virtual environment in
# .venv, so the commands work on Debian's own python3 (PEP 668 "externally managed") as on any other.
# Usage: source scripts/venv.sh REQUIREMENTS_FILE [VENV_DIR]   (VENV_DIR defaults to .venv)
set -euo pipefail
_req="${1:-requirements.txt}"
_venv="${2:-.venv}"
_py="${WISE_PYTHON:-python3}"
_sudo=""; [ "$(id -u)" -ne 0 ] && _sudo="sudo"
if [ ! -x "$_venv/bin/python" ]; then
  if ! "$_py" -c "import ensurepip, venv" >/dev/null 2>&1; then
    # Debian ships venv/ensurepip separately (python3-venv).
    $_sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq python3-venv >/dev/null
  fi
  "$_py" -m venv "$_venv"
fi
# shellcheck disable=SC1091
source "$_venv/bin/activate"
_stamp="$_venv/.installed-$(cat "$_req" requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$_stamp" ]; then
  python -m pip install -q --disable-pip-version-check -r "$_req"
  python -m pip install -q --disable-pip-version-check --no-deps -e .
  touch "$_stamp"
fi
