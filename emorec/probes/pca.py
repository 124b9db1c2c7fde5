"""Principal component analysis of standardised features, in numpy (no labels needed)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from emorec.probes.logistic_regression import Standardizer, fit_standardizer, standardize


class PCA(NamedTuple):
  """The standardiser, the leading directions [D, k] and the variance each explains [k]."""

  standardizer: Standardizer
  directions: np.ndarray
  variances: np.ndarray


def fit_pca(features: np.ndarray, num_components: int) -> PCA:
  """The ``num_components`` leading principal directions of standardised ``features`` [N, D]."""
  limit = min(features.shape)
  if not 1 <= num_components <= limit:
    raise ValueError(f'num_components must be in [1, {limit}], got {num_components}.')
  standardizer = fit_standardizer(features)
  centred = standardize(standardizer, features).astype(np.float64)
  _, singular, vt = np.linalg.svd(centred, full_matrices=False)
  return PCA(standardizer, vt[:num_components].T,
             singular[:num_components] ** 2 / features.shape[0])


def transform(pca: PCA, features: np.ndarray) -> np.ndarray:
  """The principal components [N, k] of ``features``, float32."""
  return (standardize(pca.standardizer, features).astype(np.float64)
          @ pca.directions).astype(np.float32)
