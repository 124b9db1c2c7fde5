"""Exact evaluation over padded batches: confusion matrices reduced on device, metrics on host."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh

from emorec import metrics, sharding

EvalStep = Callable[[Any, Mapping[str, jax.Array]], dict[str, jax.Array]]


def confusion(logits: jax.Array, labels: jax.Array, weights: jax.Array) -> jax.Array:
  """Weighted confusion counts [K, K] (rows true, columns predicted) of one batch."""
  num_classes = logits.shape[-1]
  truth = jax.nn.one_hot(labels, num_classes) * weights[:, None]
  predicted = jax.nn.one_hot(jnp.argmax(logits, -1), num_classes)
  return truth.T @ predicted


def make_eval_step(model: nn.Module, mesh: Mesh, num_seeds: int = 1) -> EvalStep:
  """A jitted step giving the summed confusion of the fused and per-modality heads and the loss.

  With `num_seeds` > 1 the parameters carry a leading seed axis and so does every output.
  """

  def step(params: Any, batch: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
    logits, aux = model.apply({'params': params}, batch, train=False)
    valid = batch['valid']
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, batch['label'])
    out = {
        'confusion': confusion(logits, batch['label'], valid),
        'loss_sum': jnp.sum(losses * valid),
    }
    for modality, modality_logits in aux['modality_logits'].items():
      weights = valid * aux['present'][modality]
      out[f'confusion_{modality}'] = confusion(modality_logits, batch['label'], weights)
    return out

  if num_seeds > 1:
    step = jax.vmap(step, in_axes=(0, None))
  return jax.jit(step, out_shardings=sharding.replicated(mesh))


def metrics_from_counts(counts: Mapping[str, np.ndarray],
                        class_names: Sequence[str]) -> dict[str, float]:
  """Fused-head metrics keyed plainly ('wa', 'ua', …); per-modality heads as 'text/wa', …."""
  fused = counts['confusion'].round().astype(np.int64)
  results = metrics.classification_metrics(fused, class_names)
  results['loss'] = float(counts['loss_sum']) / max(int(fused.sum()), 1)
  for key, value in counts.items():
    if key.startswith('confusion_'):
      modality = key.removeprefix('confusion_')
      modality_results = metrics.classification_metrics(
          value.round().astype(np.int64), class_names)
      results.update({f'{modality}/{k}': v for k, v in modality_results.items()
                      if k in ('wa', 'ua', 'weighted_f1', 'macro_f1')})
  return results


def evaluate(
    eval_step: EvalStep,
    params: Any,
    batches: Iterable[Mapping[str, np.ndarray]],
    mesh: Mesh,
    class_names: Sequence[str],
    num_seeds: int = 1,
) -> list[dict[str, float]]:
  """Runs `eval_step` over every batch; one metrics dict per seed (a list of one for K = 1)."""
  totals: dict[str, np.ndarray] | None = None
  for batch in batches:
    counts = jax.device_get(eval_step(params, sharding.to_global(batch, mesh)))
    totals = counts if totals is None else jax.tree.map(np.add, totals, counts)
  if totals is None:
    raise ValueError('Evaluation received no batches.')
  if num_seeds == 1:
    return [metrics_from_counts(totals, class_names)]
  return [metrics_from_counts({k: v[seed] for k, v in totals.items()}, class_names)
          for seed in range(num_seeds)]
