#!/usr/bin/env bash
# Runs one end-to-end test file with pytest; used by every sh_test in this
# package (see BUILD). Exits non-zero when a test fails.
#   run_pytest.sh tests/e2e/test_x.py [pytest args...]
set -euo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  cd "${TEST_SRCDIR}/${TEST_WORKSPACE:-aia}"
fi
# Scratch space: Bazel's per-test tmp dir when there is one.
export TMPDIR="${TEST_TMPDIR:-${TMPDIR:-/tmp}}"
# Runfiles are read-only symlinks: no bytecode caches next to them.
export PYTHONDONTWRITEBYTECODE=1
export PYTHONUNBUFFERED=1

file="$1"
shift
args=(-q -p no:cacheprovider -rfEs "$file")
if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
  args+=("--junitxml=${XML_OUTPUT_FILE}")
fi

rc=0
python3 -X faulthandler -m pytest "${args[@]}" "$@" || rc=$?
if [[ $rc -ne 0 ]]; then
  echo "run_pytest.sh: pytest exited with status $rc" >&2
fi
exit "$rc"
