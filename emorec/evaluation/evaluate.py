"""Exact evaluation over padded batches: confusion matrices reduced on device, metrics on host.

Single-label batches (``label``) reduce to confusion matrices on device. Multi-label batches
(``labels`` [B, K]) keep every example's probabilities, gathered on the host, because the AUC
needs the whole ranking.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, Mapping, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh

from emorec.evaluation import metrics
from emorec.training import seeds, sharding

EvalStep = Callable[[Any, Mapping[str, jax.Array]], dict[str, Any]]
# Logit of an emotion a model has no output for: probability 0 in float32, yet finite losses.
UNKNOWN_LOGIT = -1e4


def confusion(logits: jax.Array, labels: jax.Array, weights: jax.Array) -> jax.Array:
  """Weighted confusion counts [K, K] (rows true, columns predicted) of one batch."""
  num_classes = logits.shape[-1]
  truth = jax.nn.one_hot(labels, num_classes) * weights[:, None]
  predicted = jax.nn.one_hot(jnp.argmax(logits, -1), num_classes)
  return truth.T @ predicted


def place_columns(logits: jax.Array, columns: np.ndarray | None, num_classes: int) -> jax.Array:
  """Logits [..., K'] moved to `columns` of [..., num_classes], UNKNOWN_LOGIT elsewhere."""
  if columns is None:
    return logits
  unknown = jnp.full((*logits.shape[:-1], num_classes), UNKNOWN_LOGIT, logits.dtype)
  return unknown.at[..., columns].set(logits)


def _confusion_outputs(logits: jax.Array, aux: Mapping[str, Any],
                       batch: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
  """The summed confusion of the fused and per-modality heads and the summed loss."""
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


def _score_outputs(logits: jax.Array, aux: Mapping[str, Any],
                   batch: Mapping[str, jax.Array]) -> dict[str, Any]:
  """The summed binary cross-entropy, and per example (under 'examples') the labels and, per
  head ('fused' and each modality), the probabilities and 0/1 weights."""
  valid = batch['valid']
  losses = jnp.mean(optax.sigmoid_binary_cross_entropy(logits, batch['labels']), axis=-1)
  heads = {'fused': logits, **aux['modality_logits']}
  weights = {m: valid * aux['present'][m] for m in aux['modality_logits']}
  return {
      'loss_sum': jnp.sum(losses * valid),
      'examples': {
          'labels': batch['labels'],
          'scores': {head: jax.nn.sigmoid(x) for head, x in heads.items()},
          'weights': {'fused': valid, **weights},
      },
  }


def make_eval_step(model: nn.Module, mesh: Mesh, num_seeds: int = 1, *, seed_axis: str = 'auto',
                   columns: np.ndarray | None = None, num_classes: int = 0) -> EvalStep:
  """A jitted step giving what metrics need of one batch, fused and per-modality heads.

  Single-label batches give summed confusions and loss, multi-label ones (``labels``) also
  per-example probabilities. With `columns` the model's outputs are the `num_classes`
  emotions' columns `columns`; the others get UNKNOWN_LOGIT (never predicted). With
  `num_seeds` > 1 the parameters carry a leading seed axis and so does every output.
  """

  def step(params: Any, batch: Mapping[str, jax.Array]) -> dict[str, Any]:
    logits, aux = model.apply({'params': params}, batch, train=False)
    place = functools.partial(place_columns, columns=columns, num_classes=num_classes)
    aux = {**aux, 'modality_logits': {m: place(x) for m, x in aux['modality_logits'].items()}}
    outputs = _score_outputs if 'labels' in batch else _confusion_outputs
    return outputs(place(logits), aux, batch)

  if num_seeds > 1:
    step = seeds.over_seeds(step, (0, None), seed_axis)
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


def metrics_from_scores(sums: Mapping[str, np.ndarray], examples: Mapping[str, Any],
                        class_names: Sequence[str], threshold: float = 0.5) -> dict[str, float]:
  """Multi-label metrics of the fused head keyed plainly ('wacc', 'auc/happy', …, see
  `metrics.multilabel_metrics`); per-modality heads' means as 'text/wacc', …."""
  labels = examples['labels']
  heads = {head: metrics.multilabel_metrics(labels, scores, class_names, threshold,
                                            examples['weights'][head] > 0)
           for head, scores in examples['scores'].items()}
  results = heads.pop('fused')
  results['loss'] = float(sums['loss_sum']) / max(results['num_examples'], 1.0)
  for modality, modality_results in heads.items():
    results.update({f'{modality}/{k}': modality_results[k] for k in ('wacc', 'wf1', 'auc')})
  return results


def _metrics(sums: Mapping[str, np.ndarray], examples: Mapping[str, Any] | None,
             class_names: Sequence[str], threshold: float) -> dict[str, float]:
  if examples is None:
    return metrics_from_counts(sums, class_names)
  return metrics_from_scores(sums, examples, class_names, threshold)


def evaluate(
    eval_step: EvalStep,
    params: Any,
    batches: Iterable[Mapping[str, np.ndarray]],
    mesh: Mesh,
    class_names: Sequence[str],
    num_seeds: int = 1,
    *,
    threshold: float = 0.5,
) -> list[dict[str, float]]:
  """Runs `eval_step` over every batch; one metrics dict per seed (a list of one for K = 1).

  Outputs are summed over batches, except per-example ones ('examples'), which are
  concatenated; `threshold` decides multi-label predictions.
  """
  totals: dict[str, np.ndarray] | None = None
  parts = []
  for batch in batches:
    counts = jax.device_get(eval_step(params, sharding.to_global(batch, mesh)))
    if 'examples' in counts:
      parts.append(counts.pop('examples'))
    totals = counts if totals is None else jax.tree.map(np.add, totals, counts)
  if totals is None:
    raise ValueError('Evaluation received no batches.')
  batch_axis = 0 if num_seeds == 1 else 1
  examples = jax.tree.map(lambda *xs: np.concatenate(xs, batch_axis), *parts) if parts else None
  if num_seeds == 1:
    return [_metrics(totals, examples, class_names, threshold)]
  return [_metrics(*jax.tree.map(lambda x: x[seed], (totals, examples)), class_names, threshold)
          for seed in range(num_seeds)]
