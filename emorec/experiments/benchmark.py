"""Speed figures of a config: compile time, train/eval/input throughput, memory, FLOP/s.

Timings are medians over repeats after a warm-up; the matmul peak they are compared with is
measured in the same process, so the utilisation figure is a ratio taken side by side.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import resource
import statistics
import time
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import ml_collections

from emorec.evaluation import evaluate
from emorec.training import sharding, train


def median_seconds(fn: Callable[[], Any], repeats: int) -> float:
  """Median wall time of `fn()` (which must block until its work is done)."""
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def matmul_peak_flops(size: int = 2048, repeats: int = 5) -> float:
  """Achieved FLOP/s of a float32 [size, size] matmul on the default device (dense peak)."""
  a = jnp.ones((size, size), jnp.float32)
  matmul = jax.jit(lambda x: x @ x)
  matmul(a).block_until_ready()
  return 2 * size**3 / median_seconds(lambda: matmul(a).block_until_ready(), repeats)


def _flops(compiled: Any) -> float:
  analysis = compiled.cost_analysis()
  if isinstance(analysis, (list, tuple)):
    analysis = analysis[0]
  return float(analysis.get('flops', float('nan')))


@dataclasses.dataclass(frozen=True)
class StepTiming:
  """Compile time, median seconds per train step and XLA's FLOPs per step."""

  compile_seconds: float
  step_seconds: float
  flops: float


@dataclasses.dataclass(frozen=True)
class TrainSteps:
  """A compiled train step on one fixed global batch: ``run(n)`` takes n steps and blocks."""

  compile_seconds: float
  flops: float
  run: Callable[[int], None]


def compiled_train_steps(experiment: train.Experiment) -> TrainSteps:
  """Compiles the train step and warms it up (input pipeline excluded)."""
  state = experiment.initial_state()
  _, dropout_rng = experiment.rngs()
  batch = sharding.to_global(next(experiment.train_batches(0)), experiment.mesh)
  start = time.perf_counter()
  compiled = experiment.train_step().lower(state, batch, dropout_rng).compile()
  compile_seconds = time.perf_counter() - start

  def train_steps(count: int) -> None:
    nonlocal state
    for _ in range(count):
      state, metrics = compiled(state, batch, dropout_rng)
    jax.block_until_ready(metrics)

  train_steps(1)
  return TrainSteps(compile_seconds, _flops(compiled), train_steps)


def time_train_step(experiment: train.Experiment, *, steps: int, repeats: int) -> StepTiming:
  """Times the compiled train step on one fixed global batch (input pipeline excluded)."""
  train_steps = compiled_train_steps(experiment)
  train_steps.run(steps)
  return StepTiming(train_steps.compile_seconds,
                    median_seconds(lambda: train_steps.run(steps), repeats) / steps,
                    train_steps.flops)


def run(config: ml_collections.ConfigDict, *, steps: int = 20, repeats: int = 5,
        input_batches: int = 50) -> dict[str, float]:
  """Measures one config; returns the figures keyed by name."""
  experiment = train.build_experiment(config)
  timing = time_train_step(experiment, steps=steps, repeats=repeats)
  train_samples = config.train.batch_size + (
      config.train.unlabelled_batch_size if experiment.uses_unlabelled else 0)

  params = experiment.initial_state().params
  eval_step = evaluate.make_eval_step(experiment.model, experiment.mesh, experiment.num_seeds)
  eval_batch = sharding.to_global(
      next(train.eval_batches(config, experiment.corpus, 'validation', experiment.mesh)),
      experiment.mesh)
  jax.block_until_ready(eval_step(params, eval_batch))
  eval_seconds = median_seconds(
      lambda: jax.block_until_ready(
          [eval_step(params, eval_batch) for _ in range(steps)]), repeats) / steps

  def input_only():
    for _ in itertools.islice(experiment.train_batches(0), input_batches):
      pass

  input_seconds = median_seconds(input_only, max(1, repeats // 2)) / input_batches
  peak = matmul_peak_flops()
  return {
      'devices': float(experiment.mesh.devices.size),
      'compile_seconds': timing.compile_seconds,
      'train_samples_per_second': train_samples / timing.step_seconds,
      'train_steps_per_second': 1.0 / timing.step_seconds,
      'eval_samples_per_second': config.eval.batch_size / eval_seconds,
      'input_samples_per_second': train_samples / input_seconds,
      'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      'flops_per_train_step': timing.flops,
      'achieved_flops_per_second': timing.flops / timing.step_seconds,
      'matmul_peak_flops_per_second': peak,
      'share_of_matmul_peak': timing.flops / timing.step_seconds / peak,
  }


def seed_scaling(config: ml_collections.ConfigDict, num_seeds: Sequence[int],
                 seed_axes: Sequence[str] = ('vectorized', 'sequential'), *,
                 steps: int = 20, repeats: int = 5) -> dict[tuple[int, str], float]:
  """Seconds per train step for each seed-ensemble size K and `seed_axis` mode, measured in
  this one process (K = 1 has no seed axis: it is measured once, under the first mode)."""
  seconds = {}
  for count in num_seeds:
    for mode in seed_axes[:1] if count == 1 else seed_axes:
      variant = copy.deepcopy(config)
      variant.num_seeds = count
      variant.seed_axis = mode
      experiment = train.build_experiment(variant)
      seconds[count, mode] = time_train_step(experiment, steps=steps,
                                             repeats=repeats).step_seconds
  return seconds
