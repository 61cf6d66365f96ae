#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run every test.
# Browser: Debian's chromium + chromium-driver (never a browser download).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: chromium (+ driver) for the browser tests, redis-server for the
# multi-host tests (the tests start their own redis-server, Celery worker and gunicorn on 127.0.0.1).
if ! command -v chromium >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver redis-server >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
python3 -m ruff check dashboard tests benchmarks scripts gunicorn.conf.py
python3 -m pytest -q -p no:cacheprovider "$@"
