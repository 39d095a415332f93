#!/usr/bin/env bash
# Command 1 of the README: install what is missing, start RabbitMQ and Elasticsearch, and bring up
# a chapter's local cluster (default: chapter 8).   bash scripts/up.sh [CHAPTER]
set -euo pipefail
source "$(dirname "$0")/env.sh"
chapter="${1:-final}"
ensure_python
bash "$REPO/scripts/services.sh" start
cd "$REPO"
"$PY" -m scripts.cluster up "$chapter"
echo "use it: curl 127.0.2.1:12345/healthz ; stop it: $PY -m scripts.cluster down"
