"""Test-wide setup: four CPU devices, quiet TensorFlow kept off accelerators, and one cache of
compiled programs for the run.

Many tests compile the same smoke programs (in this process, in the other pytest workers and in
the child processes they start); JAX's persistent compilation cache, shared through the
environment, compiles each once. XLA's CPU backend skips its LLVM optimisations here: the
tests' programs run for milliseconds and compile for seconds.
"""

import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[1]
DEVICE_COUNT_FLAG = '--xla_force_host_platform_device_count'

os.environ.setdefault('XLA_FLAGS',
                      f'{DEVICE_COUNT_FLAG}=4 --xla_backend_optimization_level=0')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
os.environ.setdefault('JAX_PLATFORMS', 'cpu')
os.environ.setdefault('JAX_COMPILATION_CACHE_DIR', str(REPO / '.cache' / 'jax-tests'))
os.environ.setdefault('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0.1')


def xla_flags(num_devices: int) -> str:
  """This run's XLA flags with ``num_devices`` CPU devices (for child processes)."""
  kept = [flag for flag in os.environ['XLA_FLAGS'].split()
          if not flag.startswith(DEVICE_COUNT_FLAG)]
  return ' '.join([f'{DEVICE_COUNT_FLAG}={num_devices}', *kept])


# The modules holding the longest end-to-end tests, collected first: with one pytest worker
# per core (`--dist loadscope`, a module per worker at a time) the short modules then fill in
# beside them instead of leaving a worker idle while another finishes a long module last.
LONG_MODULES = ('test_notebook.py', 'test_train.py', 'test_plots.py', 'test_inference.py',
                'test_positive_controls.py', 'test_config_surface.py', 'test_seeds.py')


def _start_order(item) -> int:
  name = item.path.name
  return LONG_MODULES.index(name) if name in LONG_MODULES else len(LONG_MODULES)


def pytest_collection_modifyitems(items):
  items.sort(key=_start_order)
