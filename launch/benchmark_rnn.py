r"""emorec's recurrent MTEE against the same network in PyTorch, side by side in one run.

  python launch/benchmark_rnn.py --config=configs/transfer.py \
    --config.model.modality_hidden.text=300 --config.model.emotion_embedding.text_map=linear

Both train on the same fixed labelled batch, PyTorch in a worker process of its own (forward,
backward, clipping, Adam step). emorec runs twice: padded to ``data.max_len`` as PyTorch is,
and with ``train.trim_padding=K`` (``--trim_padding``), the batch cut after its longest real
sequence; the PyTorch reference, like the authors' code, always runs over every frame. Timed
repeats alternate (emorec, PyTorch, emorec, ...) so that both see the same machine load; the
script prints the median samples/s of each, the ratio of the medians and the median of the
ratios of adjacent repeats, and each side's share of a float32 matmul peak measured in the
same run. The FLOPs are those of the LSTMs' matmuls over every frame (forward, and twice that
backward), counted from the shapes: XLA's cost analysis counts a loop body once.

PyTorch runs with each of ``--torch_threads`` (default: as many threads as JAX has cores, and
one), each timed in the same alternation, so the ratio can be read against its fastest setting.
Its OpenMP threads wait passively (``OMP_WAIT_POLICY=PASSIVE`` unless set): on a machine shared
with other jobs, spinning threads made its two-thread steps up to ten times slower.

Then K = 1, 2, 4, 8 seed ensembles (``config.num_seeds``) of the same config, samples/s in all
and per replica. Needs ``pip install -e '.[bench]'`` (PyTorch).
"""

from __future__ import annotations

import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Mapping

from absl import flags
import jax
import numpy as np
from ml_collections import config_flags

from emorec.experiments import benchmark, launcher, report
from emorec.training import train

_CONFIG = config_flags.DEFINE_config_file('config', None, 'An MTEE config with LSTM encoders.')
_STEPS = flags.DEFINE_integer('steps', 5, 'Train steps per timed repeat.')
_REPEATS = flags.DEFINE_integer('repeats', 11, 'Timed repeats of each side (medians reported).')
_TORCH_THREADS = flags.DEFINE_list(
    'torch_threads', sorted({str(len(os.sched_getaffinity(0))), '1'}, reverse=True),
    "PyTorch's intra-op thread counts to time (JAX uses every core).")
_SEEDS = flags.DEFINE_list('num_seeds', ['1', '2', '4', '8'],
                           'Seed-ensemble sizes to time; empty to skip.')
_SEED_AXES = flags.DEFINE_list('seed_axis', ['sequential', 'vectorized'],
                               'Seed-axis modes to time (see emorec.training.seeds.over_seeds).')
_SEED_STEPS = flags.DEFINE_integer('seed_steps', 3, 'Train steps per timed seed repeat.')
_SEED_REPEATS = flags.DEFINE_integer('seed_repeats', 3, 'Timed repeats per ensemble size.')
_TRIM = flags.DEFINE_integer(
    'trim_padding', 4, 'Also time emorec with train.trim_padding=K, its batches cut after their '
    "longest real sequence (0 skips); the PyTorch reference, like the authors' code, runs over "
    'every padded frame.')


def lstm_matmul_flops(params: Mapping[str, Any], batch: Mapping[str, np.ndarray]) -> float:
  """FLOPs of one train step's recurrent matmuls over every frame of ``batch``: each layer's
  frame and state projections (every kernel of an encoder, in either parameter layout)
  forward, and twice as many backward."""
  flops = 0.0
  for name, encoder in params.items():
    if not name.startswith('encoder_'):
      continue
    frames = np.prod(batch[name[len('encoder_'):]].shape[:2])
    for path, leaf in jax.tree_util.tree_leaves_with_path(encoder):
      if 'kernel' in jax.tree_util.keystr(path):
        flops += 3 * 2 * frames * np.prod(leaf.shape)
  return flops


def interleaved_seconds(runs: Mapping[str, Callable[[], float]], repeats: int) -> dict[str, list]:
  """Seconds of each run (each returns its own), the runs alternating repeat after repeat."""
  seconds = {name: [] for name in runs}
  for _ in range(repeats):
    for name, run in runs.items():
      seconds[name].append(run())
  return seconds


def timed(run: Callable[[], Any]) -> Callable[[], float]:
  def seconds() -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start
  return seconds


# PyTorch's OpenMP threads wait passively unless the environment says otherwise.
OMP_WAIT_POLICY = os.environ.get('OMP_WAIT_POLICY', 'PASSIVE')


class TorchWorker:
  """launch/torch_reference.py in a process of its own, timing train steps on request."""

  def __init__(self, batch: Mapping[str, np.ndarray], options: Mapping[str, Any],
               workdir: str):
    path = os.path.join(workdir, 'batch.npz')
    np.savez(path, **batch)
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torch_reference.py')
    env = {**os.environ, 'OMP_WAIT_POLICY': OMP_WAIT_POLICY}
    self.process = subprocess.Popen([sys.executable, script, path, json.dumps(options)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                    env=env)
    if self.process.stdout.readline().strip() != 'ready':
      raise RuntimeError(f'{script} did not start (exit status {self.process.wait()})')

  def seconds(self, threads: int, steps: int) -> float:
    self.process.stdin.write(f'{threads} {steps}\n')
    self.process.stdin.flush()
    return float(self.process.stdout.readline())

  def close(self) -> None:
    self.process.stdin.close()
    self.process.wait()


def _emorec_side(config) -> tuple[train.Experiment, benchmark.TrainSteps, dict[str, np.ndarray]]:
  """The experiment of ``config``, its compiled train steps and its first labelled batch."""
  experiment = train.build_experiment(config)
  steps = benchmark.compiled_train_steps(experiment)
  labelled = jax.device_get(next(experiment.train_batches(0)))['labelled']
  model = experiment.model
  keys = (*model.modalities, *(f'{m}_mask' for m in model.modalities), 'label')
  return experiment, steps, {k: labelled[k] for k in keys}


def side_by_side(config) -> None:
  padded_config = config.copy_and_resolve_references()
  padded_config.train.trim_padding = 0
  sides = {'emorec (JAX)': _emorec_side(padded_config)}
  if _TRIM.value:
    trimmed_config = config.copy_and_resolve_references()
    trimmed_config.train.trim_padding = _TRIM.value
    sides[f'emorec (JAX), padding cut (trim_padding={_TRIM.value})'] = _emorec_side(trimmed_config)
  experiment, _, batch = sides['emorec (JAX)']
  model = experiment.model
  options = {'modalities': list(model.modalities), 'num_layers': model.num_layers,
             'hidden': {m: model.modality_hidden.get(m, model.hidden) for m in model.modalities},
             'dropout': config.model.dropout, 'learning_rate': config.train.learning_rate,
             'grad_clip_norm': config.train.grad_clip_norm}
  steps = _STEPS.value
  params = experiment.initial_state().params
  flops = {name: lstm_matmul_flops(params, side_batch) for name, (_, _, side_batch) in sides.items()}
  with tempfile.TemporaryDirectory() as workdir:
    worker = TorchWorker({**batch, 'label_vectors': model.labels.vectors}, options, workdir)
    runs = {name: timed(functools.partial(side_steps.run, steps))
            for name, (_, side_steps, _) in sides.items()}
    for threads in map(int, _TORCH_THREADS.value):
      name = f'PyTorch, {threads} thread{"s" if threads > 1 else ""}'
      runs[name] = functools.partial(worker.seconds, threads, steps)
      flops[name] = flops['emorec (JAX)']
      worker.seconds(threads, steps)  # Warm-up.
    seconds = interleaved_seconds(runs, _REPEATS.value)
    worker.close()
  peak = benchmark.matmul_peak_flops()
  samples = len(batch['label']) * steps
  rows = []
  for name, times in seconds.items():
    step = statistics.median(times) / steps
    rows.append([name, f'{samples / statistics.median(times):.1f}', f'{1000 * step:.1f}',
                 f'{flops[name] / 1e9:.2f}', f'{flops[name] / step / 1e9:.1f}',
                 f'{flops[name] / step / peak:.3f}'])
  frames = {name: {m: side_batch[m].shape[1] for m in model.modalities}
            for name, (_, _, side_batch) in sides.items()}
  compile_seconds = ', '.join(f'{s.compile_seconds:.1f}' for _, s, _ in sides.values())
  print(f'JAX {jax.__version__} on {jax.device_count()} {jax.default_backend()} device(s), '
        f'{len(os.sched_getaffinity(0))} cores; PyTorch in its own process, OMP_WAIT_POLICY='
        f'{OMP_WAIT_POLICY}; {_REPEATS.value} interleaved repeats of {steps} '
        f'steps; batch {len(batch["label"])}; emorec compile {compile_seconds} s')
  print(f'float32 matmul peak {peak / 1e9:.1f} GFLOP/s; frames per modality: {frames} '
        '(PyTorch, as the authors\' code, runs over every padded frame)')
  print(report.markdown_table(
      ['implementation', 'train samples/s', 'ms / step', 'LSTM GFLOP / step', 'GFLOP/s',
       'share of matmul peak'], rows))
  torch_names = [name for name in seconds if name.startswith('PyTorch')]
  for emorec_name in sides:
    for name in torch_names:
      jax_times, torch_times = seconds[emorec_name], seconds[name]
      ratios = [t / j for j, t in zip(jax_times, torch_times)]
      print(f'{emorec_name} / {name}: '
            f'{statistics.median(torch_times) / statistics.median(jax_times):.2f} (ratio of '
            f'medians); median of the {len(ratios)} adjacent-repeat ratios '
            f'{statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}')


def seed_scaling(config) -> None:
  counts = [int(k) for k in _SEEDS.value]
  seconds = benchmark.seed_scaling(config, counts, _SEED_AXES.value, steps=_SEED_STEPS.value,
                                   repeats=_SEED_REPEATS.value)
  batch = config.train.batch_size
  base = next(iter(seconds.values()))
  rows = [[str(k), mode if k > 1 else '-', f'{1000 * s:.0f}', f'{k * batch / s:.1f}',
           f'{batch / s:.1f}', f'{base / s:.2f}'] for (k, mode), s in seconds.items()]
  print(report.markdown_table(
      ['K', 'seed_axis', 'ms / step', 'samples/s (all replicas)', 'samples/s per replica',
       'per replica vs K=1'], rows))


def main(argv):
  del argv
  config = _CONFIG.value
  wanted = {'encoder': 'lstm', 'head': 'emotion_embedding', 'bidirectional': True,
            'merge_directions': 'sum', 'pooling': 'last'}
  got = {field: config.model.get(field) for field in wanted}
  maps = config.model.get('emotion_embedding', {})
  if got != wanted or (maps.get('map'), maps.get('text_map')) != ('linear', 'linear'):
    raise ValueError(f'--config: the PyTorch reference is the MTEE network, model fields {wanted}'
                     " with linear maps (emotion_embedding.map and .text_map 'linear'); got "
                     f"{got}, maps {maps.get('map')!r}, {maps.get('text_map')!r}")
  side_by_side(config)
  if _SEEDS.value:
    seed_scaling(config)


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  launcher.run(main)
