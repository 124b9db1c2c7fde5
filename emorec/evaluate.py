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


def make_eval_step(model: nn.Module, mesh: Mesh) -> EvalStep:
  """A jitted step giving the summed confusion of the fused and per-modality heads and the loss."""

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

  return jax.jit(step, out_shardings=sharding.replicated(mesh))


def evaluate(
    eval_step: EvalStep,
    params: Any,
    batches: Iterable[Mapping[str, np.ndarray]],
    mesh: Mesh,
    class_names: Sequence[str],
) -> dict[str, float]:
  """Runs `eval_step` over every batch and turns the summed counts into metrics.

  Fused-head metrics are keyed plainly ('wa', 'ua', …); per-modality heads as 'text/wa', ….
  """
  totals: dict[str, np.ndarray] | None = None
  for batch in batches:
    counts = jax.device_get(eval_step(params, sharding.to_global(batch, mesh)))
    totals = counts if totals is None else jax.tree.map(np.add, totals, counts)
  if totals is None:
    raise ValueError('Evaluation received no batches.')
  fused = totals['confusion'].round().astype(np.int64)
  results = metrics.classification_metrics(fused, class_names)
  results['loss'] = float(totals['loss_sum']) / max(int(fused.sum()), 1)
  for key, value in totals.items():
    if key.startswith('confusion_'):
      modality = key.removeprefix('confusion_')
      modality_results = metrics.classification_metrics(
          value.round().astype(np.int64), class_names)
      results.update({f'{modality}/{k}': v for k, v in modality_results.items()
                      if k in ('wa', 'ua', 'weighted_f1', 'macro_f1')})
  return results
