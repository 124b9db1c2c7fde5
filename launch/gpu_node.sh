#!/usr/bin/env bash
# One GPU node: one process drives every local GPU through the data mesh.
#   bash launch/gpu_node.sh configs/synthetic.py runs/gpu [--config.field=value ...]
# Install the CUDA build of JAX first: pip install -e . "jax[cuda12]"
set -euo pipefail
config=${1:?usage: gpu_node.sh CONFIG WORKDIR [overrides...]}
workdir=${2:?usage: gpu_node.sh CONFIG WORKDIR [overrides...]}
shift 2
export XLA_PYTHON_CLIENT_PREALLOCATE=false
exec python "$(dirname "$0")/train.py" --config="$config" --workdir="$workdir" "$@"
