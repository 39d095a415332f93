# Sourced by up.sh and test.sh: a Python environment with the project installed.
# Uses the active virtualenv if there is one, else creates ./.venv (Debian's system Python refuses
# pip installs). Sets $PY to the interpreter to use.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Intel's ISA-L (Debian's libisal2): chapter 5's erasure codec runs ten times faster with it.
# Without it the codec uses numpy (correct, slower), and the codec tests say how to install it.
ensure_isal() {
  if ldconfig -p 2>/dev/null | grep -q 'libisal\.so\.2'; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing libisal2 (ISA-L) with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libisal2 >/dev/null </dev/null \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libisal2 >/dev/null </dev/null; } \
      || echo "could not install libisal2: chapter 5 encodes with numpy" >&2
  else
    echo "libisal2 is missing: chapter 5 encodes with numpy (sudo apt-get install libisal2 for speed)" >&2
  fi
}
ensure_python() {
  ensure_isal
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
  if [ ! -f "$stamp" ] || [ "$REPO/pyproject.toml" -nt "$stamp" ] || ! "$PY" -c "import chapter01_single, flask, flask_wtf, pika, elasticsearch, numpy, pytest, pytest_timeout, selenium" 2>/dev/null; then
    echo "installing the project and its dependencies (pip)" >&2
    "$PY" -m pip install -q --upgrade pip >&2
    "$PY" -m pip install -q -e "$REPO[test]" >&2 || { echo "pip install failed" >&2; return 1; }
    touch "$stamp"
  fi
}
# Debian's Chromium and its driver: the web view's tests drive them (tests/final/test_web.py);
# nothing is downloaded at test time. Installed by the test command, as root, like the services.
ensure_browser() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium and chromium-driver with apt-get (the web view's browser tests)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null </dev/null \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null </dev/null; } \
      || echo "could not install chromium: the web view's browser tests will fail and say so" >&2
  else
    echo "chromium is missing: sudo apt-get install -y chromium chromium-driver (the web view's browser tests)" >&2
  fi
}
