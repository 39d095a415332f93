# Sourced by up.sh and test.sh: a Python environment with the project installed.
# Uses the active virtualenv if there is one, else creates ./.venv (Debian's system Python refuses
# pip installs). Sets $PY to the interpreter to use.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ensure_python() {
  if [ -n "${VIRTUAL_ENV:-}" ]; then
    PY="$VIRTUAL_ENV/bin/python"
  else
    if [ ! -x "$REPO/.venv/bin/python" ]; then
      echo "creating $REPO/.venv" >&2
      python3 -m venv "$REPO/.venv" || { echo "python3 -m venv failed: install python3-venv" >&2; return 1; }
    fi
    PY="$REPO/.venv/bin/python"
  fi
  local stamp="$REPO/.venv-installed"
  if [ ! -f "$stamp" ] || [ "$REPO/pyproject.toml" -nt "$stamp" ] || ! "$PY" -c "import chapter01_single, flask, pika, elasticsearch, numpy, pytest" 2>/dev/null; then
    echo "installing the project and its dependencies (pip)" >&2
    "$PY" -m pip install -q --upgrade pip >&2
    "$PY" -m pip install -q -e "$REPO[test]" >&2 || { echo "pip install failed" >&2; return 1; }
    touch "$stamp"
  fi
}
