"""Multinomial logistic regression on pooled features: a linear probe baseline.

Features are standardised with the training split's statistics; the model is fitted full-batch
by L-BFGS (optax.lbfgs) for a fixed number of iterations on the mean cross-entropy plus
``l2 * ||W||^2`` (the bias is not penalised). The L2 strength is chosen from a small grid on the
validation split's weighted F1, and the chosen model is scored on the test split with emorec's
own metrics (``emorec.evaluation.metrics``)::

  result = logistic_regression.fit_and_select(train, validation, test, class_names)
  print(result.l2, result.test_metrics['weighted_f1'])

Everything is deterministic: there is no seed.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from emorec.evaluation import metrics

# L2 strengths tried by default (per example: the loss is a mean over the training split).
DEFAULT_L2_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
DEFAULT_NUM_STEPS = 200


class Dataset(NamedTuple):
  """Pooled features [N, D] and integer class ids [N] of one split."""

  features: np.ndarray
  labels: np.ndarray


class Standardizer(NamedTuple):
  """Per-feature mean and scale (the standard deviation, 1 where it is 0)."""

  mean: np.ndarray
  scale: np.ndarray


class Params(NamedTuple):
  """Weights [D, K] and bias [K] of the linear model on standardised features."""

  weights: jax.Array
  bias: jax.Array


@dataclasses.dataclass(frozen=True)
class Result:
  """The selected model and its scores.

  Attributes:
    l2: the chosen L2 strength (an entry of the grid).
    validation_weighted_f1: {l2: validation weighted F1} over the whole grid.
    standardizer: the training split's statistics.
    params: the chosen model.
    validation_metrics, test_metrics: ``metrics.classification_metrics`` of the chosen model.
    test_predictions: [N_test] predicted class ids.
    test_probabilities: [N_test, K] predicted class probabilities.
  """

  l2: float
  validation_weighted_f1: dict[float, float]
  standardizer: Standardizer
  params: Params
  validation_metrics: dict[str, float]
  test_metrics: dict[str, float]
  test_predictions: np.ndarray
  test_probabilities: np.ndarray


def fit_standardizer(features: np.ndarray) -> Standardizer:
  """The per-feature mean and standard deviation of ``features`` [N, D]."""
  features = np.asarray(features, np.float64)
  scale = features.std(axis=0)
  return Standardizer(mean=features.mean(axis=0).astype(np.float32),
                      scale=np.where(scale > 0, scale, 1.0).astype(np.float32))


def standardize(standardizer: Standardizer, features: np.ndarray) -> np.ndarray:
  """``features`` [N, D] centred and scaled by ``standardizer``, as float32."""
  return ((np.asarray(features, np.float32) - standardizer.mean) / standardizer.scale).astype(
      np.float32)


def loss(params: Params, features: jax.Array, labels: jax.Array, l2: jax.Array) -> jax.Array:
  """Mean cross-entropy over the examples plus ``l2 * ||weights||^2``."""
  logits = features @ params.weights + params.bias
  cross_entropy = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
  return jnp.mean(cross_entropy) + l2 * jnp.sum(jnp.square(params.weights))


@functools.partial(jax.jit, static_argnames=('num_classes', 'num_steps'))
def fit(features: jax.Array, labels: jax.Array, l2: float | jax.Array, *, num_classes: int,
        num_steps: int = DEFAULT_NUM_STEPS) -> Params:
  """Minimises ``loss`` from zero weights by ``num_steps`` L-BFGS iterations (full batch).

  ``features`` [N, D] should be standardised; ``labels`` [N] are class ids in [0, num_classes).
  """
  features = jnp.asarray(features, jnp.float32)
  labels = jnp.asarray(labels, jnp.int32)
  l2 = jnp.asarray(l2, jnp.float32)
  init = Params(weights=jnp.zeros((features.shape[1], num_classes), jnp.float32),
                bias=jnp.zeros((num_classes,), jnp.float32))
  objective = functools.partial(loss, features=features, labels=labels, l2=l2)
  optimizer = optax.lbfgs()
  value_and_grad = optax.value_and_grad_from_state(objective)

  def step(_: int, carry: tuple[Params, optax.OptState]) -> tuple[Params, optax.OptState]:
    params, state = carry
    value, grad = value_and_grad(params, state=state)
    updates, state = optimizer.update(grad, state, params, value=value, grad=grad,
                                      value_fn=objective)
    return optax.apply_updates(params, updates), state

  params, _ = jax.lax.fori_loop(0, num_steps, step, (init, optimizer.init(init)))
  return params


def predict_proba(params: Params, features: np.ndarray | jax.Array) -> np.ndarray:
  """Class probabilities [N, K] of standardised ``features`` [N, D]."""
  logits = jnp.asarray(features, jnp.float32) @ params.weights + params.bias
  return np.asarray(jax.nn.softmax(logits, axis=-1))


def predict(params: Params, features: np.ndarray | jax.Array) -> np.ndarray:
  """Predicted class ids [N] of standardised ``features`` [N, D]."""
  return predict_proba(params, features).argmax(axis=-1)


def score(labels: np.ndarray, predictions: np.ndarray,
          class_names: Sequence[str]) -> dict[str, float]:
  """``metrics.classification_metrics`` (WA, UA, weighted and macro F1, …) of predictions."""
  confusion = metrics.confusion_matrix(np.asarray(labels), np.asarray(predictions),
                                       len(class_names))
  return metrics.classification_metrics(confusion, class_names)


def fit_and_select(train: Dataset, validation: Dataset, test: Dataset,
                   class_names: Sequence[str], *, l2_grid: Sequence[float] = DEFAULT_L2_GRID,
                   num_steps: int = DEFAULT_NUM_STEPS) -> Result:
  """Fits one model per L2 strength, keeps the best on validation weighted F1, scores test.

  Ties go to the stronger regularisation (the larger L2).
  """
  if not l2_grid:
    raise ValueError('l2_grid is empty.')
  num_classes = len(class_names)
  standardizer = fit_standardizer(train.features)
  train_x, val_x, test_x = (standardize(standardizer, d.features)
                            for d in (train, validation, test))
  fitted = {float(l2): fit(train_x, train.labels, l2, num_classes=num_classes,
                           num_steps=num_steps) for l2 in l2_grid}
  val_metrics = {l2: score(validation.labels, predict(params, val_x), class_names)
                 for l2, params in fitted.items()}
  val_f1 = {l2: m['weighted_f1'] for l2, m in val_metrics.items()}
  best = max(sorted(val_f1, reverse=True), key=lambda l2: val_f1[l2])
  probabilities = predict_proba(fitted[best], test_x)
  predictions = probabilities.argmax(axis=-1)
  return Result(l2=best, validation_weighted_f1=val_f1, standardizer=standardizer,
                params=fitted[best], validation_metrics=val_metrics[best],
                test_metrics=score(test.labels, predictions, class_names),
                test_predictions=predictions, test_probabilities=probabilities)
