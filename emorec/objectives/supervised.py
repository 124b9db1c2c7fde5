"""Supervised terms: cross-entropy on the fused prediction and on every modality's own head.

Single-label data (``label`` [B] class ids) take the softmax cross-entropy; multi-label data
(``labels`` [B, K] in {0, 1}) the binary cross-entropy of every emotion, its positive examples
weighted by ``pos_weight`` = negatives / positives of that emotion among the training labels.
"""

from __future__ import annotations

import functools
from typing import Callable, Mapping

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from emorec.objectives.base import Outputs, Term, example_weights, weighted_mean


def cross_entropy(logits: jax.Array, labels: jax.Array, weights: jax.Array) -> jax.Array:
  """Weighted mean softmax cross-entropy of integer labels."""
  losses = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
  return weighted_mean(losses, weights)


def binary_cross_entropy(logits: jax.Array, labels: jax.Array, weights: jax.Array,
                         pos_weight: jax.Array) -> jax.Array:
  """Weighted mean over examples of the mean over emotions of the binary cross-entropy.

  Args:
    logits: [B, K].
    labels: [B, K] in {0, 1}.
    weights: [B] example weights.
    pos_weight: [K] weight of each emotion's positive term.
  """
  losses = -(pos_weight * labels * jax.nn.log_sigmoid(logits)
             + (1.0 - labels) * jax.nn.log_sigmoid(-logits))
  return weighted_mean(jnp.mean(losses, axis=-1), weights)


def positive_weights(labels: np.ndarray) -> np.ndarray:
  """Negatives / positives of each column of [N, K] {0, 1} labels (1 where none is positive)."""
  positives = np.sum(labels > 0, axis=0)
  negatives = labels.shape[0] - positives
  return np.where(positives > 0, negatives / np.maximum(positives, 1), 1.0).astype(np.float32)


# (logits [B, K], batch, example weights [B]) -> the weighted mean loss.
LabelLoss = Callable[[jax.Array, Mapping[str, jax.Array], jax.Array], jax.Array]


def softmax_loss(logits: jax.Array, batch: Mapping[str, jax.Array],
                 weights: jax.Array) -> jax.Array:
  """Softmax cross-entropy of the batch's class ids ``label``."""
  return cross_entropy(logits, batch['label'], weights)


def label_loss(train_labels: np.ndarray | None) -> LabelLoss:
  """The loss of the training labels' kind: softmax for [N] class ids (or None), binary
  cross-entropy of ``labels`` with their ``pos_weight`` for [N, K] multi-label rows."""
  if train_labels is None or np.ndim(train_labels) == 1:
    return softmax_loss
  pos_weight = jnp.asarray(positive_weights(np.asarray(train_labels)))

  def loss(logits: jax.Array, batch: Mapping[str, jax.Array], weights: jax.Array) -> jax.Array:
    return binary_cross_entropy(logits, batch['labels'], weights, pos_weight)

  return loss


def fused_cross_entropy(labelled: Outputs, unlabelled: Outputs | None, *,
                        loss: LabelLoss = softmax_loss) -> jax.Array:
  """Cross-entropy of the fused classifier on the labelled batch."""
  del unlabelled
  return loss(labelled.logits, labelled.batch, example_weights(labelled.batch))


def modality_cross_entropy(labelled: Outputs, unlabelled: Outputs | None, *,
                           loss: LabelLoss = softmax_loss) -> jax.Array:
  """Mean over modalities of each per-modality head's cross-entropy, on utterances that have it."""
  del unlabelled
  weights = example_weights(labelled.batch)
  losses = [loss(logits, labelled.batch, weights * labelled.aux['present'][m])
            for m, logits in labelled.aux['modality_logits'].items()]
  return jnp.mean(jnp.stack(losses))


def accuracy(logits: jax.Array, batch: Mapping[str, jax.Array]) -> jax.Array:
  """Share of correct decisions: argmax against ``label``, or every emotion's logit > 0
  (probability > 0.5) against ``labels``."""
  if 'labels' in batch:
    return jnp.mean((logits > 0) == (batch['labels'] > 0))
  return jnp.mean(jnp.argmax(logits, -1) == batch['label'])


def supervised(config: ml_collections.ConfigDict,
               train_labels: np.ndarray | None = None) -> Term:
  """The fused cross-entropy of the kind of ``train_labels`` (the labelled training rows)."""
  del config
  return Term(functools.partial(fused_cross_entropy, loss=label_loss(train_labels)))


def modality_supervised(config: ml_collections.ConfigDict,
                        train_labels: np.ndarray | None = None) -> Term:
  """Every modality head's cross-entropy of the kind of ``train_labels``."""
  del config
  return Term(functools.partial(modality_cross_entropy, loss=label_loss(train_labels)))
