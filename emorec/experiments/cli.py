"""Command-line training: `emorec-train --config=configs/synthetic.py --workdir=runs/x`."""

from __future__ import annotations

import os

from absl import app, flags
from ml_collections import config_flags

from emorec.experiments import launcher

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Experiment config file, e.g. configs/synthetic.py[:arg].',
    lock_config=True)
_WORKDIR = flags.DEFINE_string(
    'workdir', None, 'Directory for checkpoints, TensorBoard events and results.')
_COORDINATOR = flags.DEFINE_string(
    'coordinator_address', None,
    'host:port of process 0 for multi-process runs; leave unset for one process, or on SLURM '
    'and Cloud TPU where JAX finds it itself (with --distributed).')
_NUM_PROCESSES = flags.DEFINE_integer('num_processes', None, 'Processes in a multi-process run.')
_PROCESS_ID = flags.DEFINE_integer('process_id', None, 'This process in a multi-process run.')
_DISTRIBUTED = flags.DEFINE_bool(
    'distributed', False, 'Initialise jax.distributed from the cluster environment.')


def initialize_distributed() -> None:
  """Starts JAX's multi-controller runtime when asked; CPU processes talk through gloo."""
  import jax  # pylint: disable=g-import-not-at-top
  if not (_DISTRIBUTED.value or _COORDINATOR.value):
    return
  jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  jax.distributed.initialize(
      coordinator_address=_COORDINATOR.value, num_processes=_NUM_PROCESSES.value,
      process_id=_PROCESS_ID.value)


def train_main(argv: list[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  from emorec.experiments import report  # pylint: disable=g-import-not-at-top
  from emorec.training import train
  initialize_distributed()
  workdir = _WORKDIR.value or os.path.join('runs', 'default')
  result = train.train_and_evaluate(_CONFIG.value, workdir)
  if result.completed:
    print(report.results_table(result.metrics), flush=True)
  else:
    print(f'Stopped at step {int(result.state.step)} and saved; rerun the same command to resume.',
          flush=True)


def run_train() -> None:
  flags.mark_flags_as_required(['config'])
  launcher.run(train_main)
