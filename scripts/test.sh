#!/usr/bin/env bash
# Everything the test suite needs on a fresh Debian machine, then the suite itself.
#   bash scripts/test.sh            # all tests
#   bash scripts/test.sh -k compose # extra arguments go to pytest
# Type-checks mailer/ and subscribers/ with mypy --strict before pytest.
# Installs Debian's chromium (browser tests) and dovecot-imapd (IMAP restart tests) when missing,
# creates .venv and installs the project with its test and bench extras. tests/test_install.py
# also builds the wheel and runs `mailer demo` from it in a scratch venv (once per run).
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
      || { echo "apt-get install ${need[*]} failed: install them by hand and re-run" >&2; exit 1; }
  else
    echo "missing Debian packages: ${need[*]}; run: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv || exit 1
.venv/bin/pip install -q --disable-pip-version-check -e '.[test,bench]' || { echo "pip install failed" >&2; exit 1; }

# The library and the subscribers package are type-checked strictly ([tool.mypy] in pyproject.toml).
.venv/bin/python -m mypy --strict mailer subscribers || { echo "mypy found type errors: fix them first" >&2; exit 1; }

.venv/bin/python -m pytest -p no:cacheprovider "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit $rc
