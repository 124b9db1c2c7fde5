#!/usr/bin/env bash
# Several processes on one machine talking through gloo: the multi-host path, testable on CPU.
#   bash launch/cpu_processes.sh 2 configs/synthetic.py:smoke runs/cpu2 [overrides...]
set -euo pipefail
num=${1:?usage: cpu_processes.sh NUM_PROCESSES CONFIG WORKDIR [overrides...]}
config=${2:?usage: cpu_processes.sh NUM_PROCESSES CONFIG WORKDIR [overrides...]}
workdir=${3:?usage: cpu_processes.sh NUM_PROCESSES CONFIG WORKDIR [overrides...]}
shift 3
port=${PORT:-29517}
pids=()
for ((i = 0; i < num; i++)); do
  JAX_PLATFORMS=cpu python "$(dirname "$0")/train.py" --config="$config" --workdir="$workdir" \
    --coordinator_address="127.0.0.1:$port" --num_processes="$num" --process_id="$i" "$@" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
exit $status
