#!/usr/bin/env bash
# `make test`'s test run, both tiers at once, one per core. On LocalStack, in the background: the tests marked
# `localstack` (the demo, which runs every workflow from its triggers, the scenarios it does not run, and every test of
# LocalStack itself), their output kept in
# build/test-localstack.log and printed at the end. In the foreground: the static checks (CHECKS: ruff, mypy,
# statemachines/ freshness), then every other test in process (virtual time, moto), with the coverage of every state
# machine (build/aslkit-coverage/), and after them the CDK synth tests (marked `synth`: node and cdk-nag, about
# 0.8 GB, which would otherwise add to the in-process tier's memory at the suite's peak). In the background too, the
# simulations (marked `simulation`), into build/test-simulation.log. Any of the five failing fails.
set -uo pipefail
PY="${1:?usage: test-tiers.sh PYTHON CHECKS}"
CHECKS="${2:?usage: test-tiers.sh PYTHON CHECKS}"
mkdir -p build
log=build/test-localstack.log
# The LocalStack tier's warm Lambda workers (60-100 MB each) were the largest part of the suite's memory (1.5 GB of a 4 GB peak with
# LocalStack's 24): the session's LocalStack keeps at most 6 warm (3.3 GB, no slower); others start cold (about 60 ms).
ASLKIT_MAX_WARM_WORKERS="${ASLKIT_MAX_WARM_WORKERS:-6}" \
  "$PY" -m pytest -p no:cacheprovider --aslkit-backend=localstack -m localstack --durations=15 >"$log" 2>&1 &
localstack_pid=$!
# The simulations (in process) are CPU work the LocalStack tier's waits leave room for: 100 seeds per race here, the
# 500 each race is written for in CI (.ci/run), or as many as ASLKIT_SIMULATION_SEEDS says.
simlog=build/test-simulation.log
export ASLKIT_SIMULATION_SEEDS="${ASLKIT_SIMULATION_SEEDS:-100}"
echo "== simulations ($ASLKIT_SIMULATION_SEEDS seeds per race), in the background (into $simlog) =="
"$PY" -m pytest -p no:cacheprovider --aslkit-backend=inprocess -m simulation --durations=10 >"$simlog" 2>&1 &
simulation_pid=$!
trap 'kill "$localstack_pid" "$simulation_pid" 2>/dev/null; wait "$localstack_pid" "$simulation_pid" 2>/dev/null' EXIT
if ! bash -c "$CHECKS"; then
  echo "make test: the static checks failed (the LocalStack tier was stopped)"
  exit 1
fi
echo "== in process (every test; the LocalStack tier runs meanwhile, into $log) =="
"$PY" -m pytest --aslkit-backend=inprocess --aslkit-coverage -m "not simulation and not synth" -rfE
inprocess=$?
echo "== the CDK app synthesized offline: cdk-nag, cfn-lint, the templates (tests marked synth) =="
"$PY" -m pytest -p no:cacheprovider -m synth -rfE
synth=$?
wait "$simulation_pid"
simulation=$?
wait "$localstack_pid"
localstack=$?
trap - EXIT
echo "== simulations (in process, tests marked simulation) =="
cat "$simlog"
echo "== on LocalStack (tests marked localstack) =="
cat "$log"
if [ "$inprocess" -ne 0 ] || [ "$synth" -ne 0 ] || [ "$simulation" -ne 0 ] || [ "$localstack" -ne 0 ]; then
  echo "make test: in process exit $inprocess, synth exit $synth, simulations exit $simulation, LocalStack exit $localstack"
  exit 1
fi
