#!/usr/bin/env bash
# The web view's front-end libraries (final/web/static/vendor/README.md): fetch them from the npm
# registry with `npm pack` and check that the shipped copies are exactly what it serves.
#   bash scripts/web_assets.sh          # check (exit 1 on a difference)
#   bash scripts/web_assets.sh --write  # replace the shipped copies (an upgrade: edit the versions)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
VENDOR="$REPO/final/web/static/vendor"
ASSETS=("htmx.org@2.0.11 dist/htmx.min.js htmx.min.js" "htmx-ext-sse@2.2.4 dist/sse.min.js sse.min.js")
command -v npm >/dev/null || { echo "npm is needed (Node.js)" >&2; exit 2; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
status=0
for asset in "${ASSETS[@]}"; do
  read -r package file shipped <<<"$asset"
  (cd "$work" && npm pack -q "$package" >/dev/null)
  tarball="$(ls "$work"/*.tgz | head -1)"
  tar xzf "$tarball" -C "$work" "package/$file"
  if [ "${1:-}" = "--write" ]; then
    cp "$work/package/$file" "$VENDOR/$shipped"; echo "wrote $shipped from $package"
  elif cmp -s "$work/package/$file" "$VENDOR/$shipped"; then
    echo "ok: $shipped is $package's $file"
  else
    echo "DIFFERENT: $shipped is not $package's $file" >&2; status=1
  fi
  rm -rf "$work/package" "$tarball"
done
exit "$status"
