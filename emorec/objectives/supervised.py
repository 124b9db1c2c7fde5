"""Supervised terms: cross-entropy on the fused prediction and on every modality's own head."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections
import optax

from emorec.objectives.base import Outputs, Term, example_weights, weighted_mean


def cross_entropy(logits: jax.Array, labels: jax.Array, weights: jax.Array) -> jax.Array:
  """Weighted mean softmax cross-entropy of integer labels."""
  losses = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
  return weighted_mean(losses, weights)


def fused_cross_entropy(labelled: Outputs, unlabelled: Outputs | None) -> jax.Array:
  """Cross-entropy of the fused classifier on the labelled batch."""
  del unlabelled
  return cross_entropy(labelled.logits, labelled.batch['label'], example_weights(labelled.batch))


def modality_cross_entropy(labelled: Outputs, unlabelled: Outputs | None) -> jax.Array:
  """Mean over modalities of each per-modality head's cross-entropy, on utterances that have it."""
  del unlabelled
  weights = example_weights(labelled.batch)
  losses = [
      cross_entropy(logits, labelled.batch['label'], weights * labelled.aux['present'][m])
      for m, logits in labelled.aux['modality_logits'].items()
  ]
  return jnp.mean(jnp.stack(losses))


def supervised(config: ml_collections.ConfigDict) -> Term:
  del config
  return Term(fused_cross_entropy)


def modality_supervised(config: ml_collections.ConfigDict) -> Term:
  del config
  return Term(modality_cross_entropy)
