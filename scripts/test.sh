#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run every test.
# Python packages go into .venv (works on Debian's own python3). Browser: Debian's chromium +
# chromium-driver (never a browser download); redis-server for the multi-host tests; STILTS
# (votlint) for the VOTables the product writes; postgresql for the group store's tests (they
# start a throwaway cluster as the `postgres` user: initdb never runs as root).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not browser and not cluster"`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1 || ! command -v stilts >/dev/null 2>&1 \
   || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver redis-server stilts \
    postgresql >/dev/null
fi
# The app as a user installs it: requirements.txt alone (tests/test_new_user.py serves and
# drives it), so a runtime import that only the dev list brings in fails here, not at a user's.
( source scripts/venv.sh requirements.txt .venv-runtime )
export WISE_RUNTIME_PYTHON="$PWD/.venv-runtime/bin/python"
source scripts/venv.sh requirements-dev.txt
python -m ruff check dashboard tests benchmarks scripts gunicorn.conf.py
python -m mypy
lint-imports --no-cache      # the layers contract of pyproject.toml
deptry .                     # every import declared in requirements.txt
python -m sphinx -W --keep-going -q -b html docs docs/_build/html   # the docs site, offline, warnings as errors
python -m pytest -q -p no:cacheprovider "$@"
