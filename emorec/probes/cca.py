"""Regularised canonical correlation analysis (CCA) of two views, in numpy.

Each view is standardised with its own statistics; with covariances C_xx + r I, C_yy + r I
(r the ``regularization``: the features being standardised, a share of their unit variance)
and cross-covariance C_xy, the canonical directions are A = C_xx^-1/2 U_k and B = C_yy^-1/2 V_k,
U S V^T the SVD of C_xx^-1/2 C_xy C_yy^-1/2 and k the number of components. The canonical
variates X A and Y B then have unit (regularised) variance, are uncorrelated within a view, and
the i-th variates of the two views correlate by S_i (the canonical correlations, largest first).

CCA needs no labels: fitted on every training utterance, it finds the directions the modalities
share, which a probe trained on few labels then reads (`emorec.probes.run`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from emorec.probes.logistic_regression import Standardizer, fit_standardizer, standardize


class CCA(NamedTuple):
  """A fitted CCA: each view's standardiser and directions [D_view, k], and the correlations."""

  x_standardizer: Standardizer
  y_standardizer: Standardizer
  x_directions: np.ndarray
  y_directions: np.ndarray
  correlations: np.ndarray


def inverse_sqrt(covariance: np.ndarray) -> np.ndarray:
  """C^-1/2 of a symmetric positive definite matrix, by its eigendecomposition."""
  values, vectors = np.linalg.eigh(covariance)
  return (vectors / np.sqrt(np.maximum(values, np.finfo(values.dtype).tiny))) @ vectors.T


def fit_cca(x: np.ndarray, y: np.ndarray, num_components: int, *,
            regularization: float = 1e-3) -> CCA:
  """CCA of the paired rows of ``x`` [N, D_x] and ``y`` [N, D_y] (module docstring)."""
  if x.shape[0] != y.shape[0]:
    raise ValueError(f'CCA needs paired rows; got {x.shape[0]} and {y.shape[0]}.')
  limit = min(x.shape[1], y.shape[1])
  if not 1 <= num_components <= limit:
    raise ValueError(f'num_components must be in [1, {limit}] (the smaller view\'s '
                     f'dimension), got {num_components}.')
  if regularization < 0:
    raise ValueError(f'regularization must be >= 0, got {regularization}.')
  x_standardizer, y_standardizer = fit_standardizer(x), fit_standardizer(y)
  xs = standardize(x_standardizer, x).astype(np.float64)
  ys = standardize(y_standardizer, y).astype(np.float64)
  count = x.shape[0]
  c_xx = xs.T @ xs / count + regularization * np.eye(xs.shape[1])
  c_yy = ys.T @ ys / count + regularization * np.eye(ys.shape[1])
  c_xy = xs.T @ ys / count
  w_x, w_y = inverse_sqrt(c_xx), inverse_sqrt(c_yy)
  u, s, vt = np.linalg.svd(w_x @ c_xy @ w_y)
  return CCA(x_standardizer, y_standardizer,
             x_directions=w_x @ u[:, :num_components],
             y_directions=w_y @ vt[:num_components].T,
             correlations=s[:num_components])


def transform(cca: CCA, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Each view's canonical variates [N, k], float32."""
  u = standardize(cca.x_standardizer, x).astype(np.float64) @ cca.x_directions
  v = standardize(cca.y_standardizer, y).astype(np.float64) @ cca.y_directions
  return u.astype(np.float32), v.astype(np.float32)
