"""Squared Maximum Mean Discrepancy between two weighted samples, multi-kernel Gaussian RBF.

For samples x [n, d] and y [m, d] with per-example weights (1 = in the sample, 0 = padding or
an absent modality), MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y), each expectation a
weighted mean over pairs of examples. The 'biased' estimator (V-statistic) averages over all
pairs and is never negative; the 'unbiased' one (U-statistic) leaves out the pairs of an
example with itself, so its mean is 0 when both samples come from one distribution.

The kernel is the mean of Gaussian RBF kernels exp(-|a - b|^2 / (2 sigma^2)) over a set of
bandwidths sigma: given, or the median distance between the distinct examples of the pooled
sample times multipliers (the median heuristic, with its gradient stopped).

Everything is computed over the arrays given: inside `jit` over the data mesh these are the
global batch, so the value does not depend on the number of devices.
"""

from __future__ import annotations

from typing import Literal, Sequence

import jax
import jax.numpy as jnp

Estimator = Literal['biased', 'unbiased']
ESTIMATORS: tuple[str, ...] = ('biased', 'unbiased')
DEFAULT_MULTIPLIERS = (0.25, 0.5, 1.0, 2.0, 4.0)


def squared_distances(x: jax.Array, y: jax.Array) -> jax.Array:
  """Squared Euclidean distances [n, m] between the rows of x [n, d] and y [m, d]."""
  cross = jnp.matmul(x, y.T, precision=jax.lax.Precision.HIGHEST)
  norms_x = jnp.sum(jnp.square(x), axis=-1)
  norms_y = jnp.sum(jnp.square(y), axis=-1)
  return jnp.maximum(norms_x[:, None] + norms_y[None, :] - 2.0 * cross, 0.0)


def median_distance(x: jax.Array, weights: jax.Array) -> jax.Array:
  """Median distance between distinct rows of x [n, d] with positive weight; no gradient.

  1.0 when fewer than two rows have positive weight or the median is 0.
  """
  x = jax.lax.stop_gradient(x)
  inside = weights > 0
  n = x.shape[0]
  pairs = jnp.triu(jnp.ones((n, n), bool), k=1) & inside[:, None] & inside[None, :]
  distances = jnp.sqrt(squared_distances(x, x))
  ordered = jnp.sort(jnp.where(pairs, distances, jnp.inf).ravel())
  count = jnp.sum(pairs)
  lower = ordered[jnp.maximum((count - 1) // 2, 0)]
  upper = ordered[count // 2]
  median = 0.5 * (lower + upper)
  return jnp.where((count > 0) & (median > 0), median, 1.0)


def median_bandwidths(x: jax.Array, y: jax.Array, x_weights: jax.Array, y_weights: jax.Array,
                      multipliers: Sequence[float] = DEFAULT_MULTIPLIERS) -> jax.Array:
  """Bandwidths [K]: the median distance of the pooled sample times each multiplier."""
  median = median_distance(jnp.concatenate([x, y]), jnp.concatenate([x_weights, y_weights]))
  return median * jnp.asarray(multipliers, jnp.float32)


def rbf_kernel(squared: jax.Array, bandwidths: jax.Array) -> jax.Array:
  """Mean over `bandwidths` [K] of the Gaussian RBF kernels of squared distances [n, m]."""
  gammas = 0.5 / jnp.square(bandwidths)
  return jnp.mean(jnp.exp(-squared[..., None] * gammas), axis=-1)


def _pair_mean(kernel: jax.Array, a_weights: jax.Array, b_weights: jax.Array, *,
               exclude_diagonal: bool) -> jax.Array:
  """Weighted mean of a kernel matrix [n, m] over pairs, optionally without i == j."""
  pair_weights = a_weights[:, None] * b_weights[None, :]
  if exclude_diagonal:
    pair_weights = pair_weights * (1.0 - jnp.eye(*kernel.shape))
  return jnp.sum(kernel * pair_weights) / jnp.maximum(jnp.sum(pair_weights), 1e-12)


def mmd2(x: jax.Array, y: jax.Array, x_weights: jax.Array | None = None,
         y_weights: jax.Array | None = None, *, bandwidths: Sequence[float] | None = None,
         multipliers: Sequence[float] = DEFAULT_MULTIPLIERS,
         estimator: Estimator = 'unbiased') -> jax.Array:
  """Squared MMD between x [n, d] and y [m, d] under weights [n] and [m] (default: ones).

  Args:
    x: the first sample.
    y: the second sample.
    x_weights: per-example weights of x; 0 leaves an example out exactly.
    y_weights: same for y.
    bandwidths: kernel bandwidths; None or empty for the median heuristic.
    multipliers: median-heuristic bandwidths as multiples of the median distance.
    estimator: 'unbiased' (U-statistic) or 'biased' (V-statistic).

  Returns:
    A scalar; 0 when either sample has too few examples for the estimator (two for the
    unbiased one, one for the biased one).
  """
  if estimator not in ESTIMATORS:
    raise ValueError(f"unknown MMD estimator {estimator!r}; choose one of: {', '.join(ESTIMATORS)}")
  x_weights = jnp.ones(x.shape[:1]) if x_weights is None else jnp.asarray(x_weights, jnp.float32)
  y_weights = jnp.ones(y.shape[:1]) if y_weights is None else jnp.asarray(y_weights, jnp.float32)
  if bandwidths:
    sigmas = jnp.asarray(bandwidths, jnp.float32)
  else:
    sigmas = median_bandwidths(x, y, x_weights, y_weights, multipliers)
  unbiased = estimator == 'unbiased'

  def mean_kernel(a, b, a_weights, b_weights, exclude_diagonal):
    kernel = rbf_kernel(squared_distances(a, b), sigmas)
    return _pair_mean(kernel, a_weights, b_weights, exclude_diagonal=exclude_diagonal)

  value = (mean_kernel(x, x, x_weights, x_weights, unbiased)
           + mean_kernel(y, y, y_weights, y_weights, unbiased)
           - 2.0 * mean_kernel(x, y, x_weights, y_weights, False))
  needed = 2 if unbiased else 1
  enough = (jnp.sum(x_weights > 0) >= needed) & (jnp.sum(y_weights > 0) >= needed)
  return jnp.where(enough, value, 0.0)
