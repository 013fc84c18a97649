#!/usr/bin/env bash
# `make test`'s test run: the two tiers at once, one per core. In process: every test (virtual time, moto). On
# LocalStack: the tests marked `localstack` (one end to end per workflow, and every test of LocalStack itself).
# Its output is kept in build/test-localstack.log and printed after the in-process run; either failing fails.
set -uo pipefail
PY="${1:?usage: test-tiers.sh PYTHON}"
mkdir -p build
log=build/test-localstack.log
"$PY" -m pytest -p no:cacheprovider --aslkit-backend=localstack -m localstack >"$log" 2>&1 &
localstack_pid=$!
trap 'kill "$localstack_pid" 2>/dev/null' INT TERM
echo "== in process (every test; LocalStack's run goes to $log) =="
"$PY" -m pytest --aslkit-backend=inprocess -rfE
inprocess=$?
wait "$localstack_pid"
localstack=$?
echo "== on LocalStack (tests marked localstack) =="
cat "$log"
if [ "$inprocess" -ne 0 ] || [ "$localstack" -ne 0 ]; then
  echo "make test: in process exit $inprocess, LocalStack exit $localstack"
  exit 1
fi
