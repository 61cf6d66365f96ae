#!/usr/bin/env bash
# Serve the app on http://127.0.0.1:8050/ from a fresh clone: makes .venv, installs, runs.
# Falls back to the bundled offline demo archive when IRSA is unreachable. Extra arguments go to
# `python -m dashboard serve` (e.g. --offline, --port 8051).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements.txt
exec python -m dashboard serve "$@"
