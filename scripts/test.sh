#!/usr/bin/env bash
# Command 2 of the README: install what is missing, start the services (stopping afterwards those
# this run started), and run the whole test suite, or the pytest arguments given.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh tests/chapter05 # one chapter
set -euo pipefail
source "$(dirname "$0")/env.sh"
ensure_python
ensure_browser
cd "$REPO"
export PATH="$(dirname "$PY"):$PATH"     # README walk-throughs call plain `python`
# note which services were down, so that exactly those are stopped again at the end
started=""
(exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null || started="rabbitmq"
curl -sf -o /dev/null --max-time 3 "http://127.0.0.1:9200/_cluster/health" || started="$started es"
bash scripts/services.sh start
stop_started() {
  for service in $started; do bash scripts/services.sh "stop-$service" || true; done
}
trap stop_started EXIT
status=0
"$PY" -m pytest --durations=25 "${@:-tests}" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
fi
exit "$status"
