"""Paired code correlation: a soft, minibatch form of CCA between two modalities' codes.

For codes x, y [B, d] of the same B utterances, each code dimension is standardised over the
batch (weighted mean 0, variance 1; gradients flow through the statistics, as in batch
normalisation). The loss is

  mismatch:      mean over utterances and dimensions of (x_hat - y_hat)^2,
                 = 2 (1 - the mean correlation of paired dimensions);
  decorrelation: the mean squared off-diagonal correlation within each code, averaged over
                 the two codes, which keeps the dimensions from all tracking one direction.

Standardising makes the trivial solution (both codes constant) impossible, so no decoder is
needed to keep the codes informative (Chang, Xiang and Hospedales, 2018, "Scalable and
effective deep CCA via soft decorrelation"). Unlike the MMD, which compares the two codes'
marginal distributions, it compares the two modalities of each utterance.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

_EPSILON = 1e-5


def standardized(x: jax.Array, weights: jax.Array) -> jax.Array:
  """x [B, d] with every column at weighted mean 0 and variance 1 under weights [B]."""
  total = jnp.maximum(jnp.sum(weights), 1.0)
  mean = jnp.sum(weights[:, None] * x, axis=0) / total
  centred = x - mean
  variance = jnp.sum(weights[:, None] * jnp.square(centred), axis=0) / total
  return centred * jax.lax.rsqrt(variance + _EPSILON)


def off_diagonal_correlation(x_hat: jax.Array, weights: jax.Array) -> jax.Array:
  """Mean squared off-diagonal entry of the weighted correlation matrix of standardised x_hat."""
  dim = x_hat.shape[-1]
  if dim < 2:
    return jnp.zeros(())
  total = jnp.maximum(jnp.sum(weights), 1.0)
  correlation = jnp.matmul((weights[:, None] * x_hat).T, x_hat,
                           precision=jax.lax.Precision.HIGHEST) / total
  off_diagonal = correlation * (1.0 - jnp.eye(dim))
  return jnp.sum(jnp.square(off_diagonal)) / (dim * (dim - 1))


def paired_correlation_loss(x: jax.Array, y: jax.Array, weights: jax.Array, *,
                            decorrelation: float = 1.0) -> jax.Array:
  """Mismatch of the standardised paired codes plus ``decorrelation`` times their within-code
  correlation (see the module docstring); rows of weight 0 take no part."""
  x_hat, y_hat = standardized(x, weights), standardized(y, weights)
  per_utterance = jnp.mean(jnp.square(x_hat - y_hat), axis=-1)
  mismatch = jnp.sum(weights * per_utterance) / jnp.maximum(jnp.sum(weights), 1.0)
  within = 0.5 * (off_diagonal_correlation(x_hat, weights)
                  + off_diagonal_correlation(y_hat, weights))
  return mismatch + decorrelation * within
