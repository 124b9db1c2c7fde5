"""Command-line training: `emorec-train --config=configs/synthetic.py --workdir=runs/x`."""

from __future__ import annotations

import os
import sys
from typing import Callable, Sequence

from absl import app, flags
from ml_collections import config_flags

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Experiment config file, e.g. configs/synthetic.py[:arg].',
    lock_config=True)
_WORKDIR = flags.DEFINE_string(
    'workdir', None, 'Directory for checkpoints, TensorBoard events and results.')
_LIBRARY_LOGS = flags.DEFINE_bool(
    'library_logs', False, "Show the INFO lines of absl, orbax and TensorFlow (off: emorec's "
    'own progress, evaluation and result lines only).')
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


def config_arguments(argv: Sequence[str]) -> tuple[str | None, dict[str, str]]:
  """(the `--config` spec, the `--config.FIELD` overrides) of a command line."""
  spec, overrides = None, {}
  args = list(argv[1:])
  while args:
    arg = args.pop(0)
    name, has_value, value = arg.partition('=')
    if not name.startswith('--config'):
      continue
    if not has_value:
      takes_next = args and not args[0].startswith('-')
      value = args.pop(0) if takes_next else 'true'
    if name == '--config':
      spec = value
    elif name.startswith('--config.'):
      overrides[name[len('--config.'):]] = value
  return spec, overrides


def check_command_line(argv: Sequence[str]) -> str | None:
  """The one-line error of a bad `--config` spec or override, or None.

  absl would otherwise raise from inside flag parsing, with a traceback and no hint.
  """
  from emorec.experiments import config_args  # pylint: disable=g-import-not-at-top
  spec, overrides = config_arguments(argv)
  if spec is None:
    return None
  try:
    config = config_args.config_from_spec(spec)
    for dotted, text in overrides.items():
      section, leaf = config_args.field_section(config, dotted)
      config_args.parse_override(section, leaf, text, dotted=dotted)
  except (ValueError, FileNotFoundError) as error:
    return f'{os.path.basename(argv[0])}: {error}'
  return None


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


def run(main: Callable[[list[str]], None]) -> None:
  """`app.run(main)` for every entry point: a bad `--config` spec or override stops at once
  with one line (exit 2), and library INFO logs stay off unless `--library_logs`."""
  error = check_command_line(sys.argv)
  if error:
    print(error, file=sys.stderr)
    sys.exit(2)

  def quiet_main(argv: list[str]) -> None:
    from emorec.training import console  # pylint: disable=g-import-not-at-top
    console.quiet_libraries(not _LIBRARY_LOGS.value)
    main(argv)

  app.run(quiet_main)


def run_train() -> None:
  flags.mark_flags_as_required(['config'])
  run(train_main)
