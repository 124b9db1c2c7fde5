#!/usr/bin/env bash
# Cloud TPU VM (single host or pod slice): the same command on every worker; jax.distributed
# reads the TPU topology itself (--distributed).
#   gcloud compute tpus tpu-vm ssh NAME --worker=all --command \
#     "cd emorec && bash launch/tpu_vm.sh configs/synthetic.py gs://bucket/runs/x"
# Install the TPU build of JAX first: pip install -e . "jax[tpu]"
set -euo pipefail
config=${1:?usage: tpu_vm.sh CONFIG WORKDIR [overrides...]}
workdir=${2:?usage: tpu_vm.sh CONFIG WORKDIR [overrides...]}
shift 2
exec python "$(dirname "$0")/train.py" --distributed --config="$config" --workdir="$workdir" "$@"
