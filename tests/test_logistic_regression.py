"""The logistic-regression probe: fits a separable problem, selects L2 from its grid."""

import numpy as np

from emorec.probes import logistic_regression as lr

CLASSES = ('a', 'b', 'c')
GRID = (1e-4, 1e-2, 1.0)


def blobs(n: int, seed: int) -> lr.Dataset:
  """Three well-separated Gaussian blobs in 4-d (plus an offset and scale to standardise)."""
  rng = np.random.default_rng(seed)
  centres = np.array([[4, 0, 0, 0], [0, 4, 0, 0], [0, 0, 4, 0]], np.float32)
  labels = rng.integers(0, 3, size=n)
  features = centres[labels] + rng.normal(size=(n, 4)).astype(np.float32) * 0.5
  return lr.Dataset(features * 10 + 3, labels)


def test_separable_problem_is_learnt_and_l2_comes_from_the_grid():
  train, validation, test = blobs(90, 0), blobs(30, 1), blobs(40, 2)
  result = lr.fit_and_select(train, validation, test, CLASSES, l2_grid=GRID, num_steps=30)
  assert result.l2 in GRID
  assert set(result.validation_weighted_f1) == set(GRID)
  assert result.validation_weighted_f1[result.l2] == max(result.validation_weighted_f1.values())
  assert result.test_metrics['wa'] >= 0.95
  assert result.test_metrics['weighted_f1'] >= 0.95
  assert result.test_predictions.shape == (40,)
  assert result.test_probabilities.shape == (40, 3)
  np.testing.assert_allclose(result.test_probabilities.sum(axis=1), 1.0, rtol=1e-5)
  assert result.params.weights.shape == (4, 3) and result.params.bias.shape == (3,)


def test_standardizer_uses_training_statistics_and_keeps_constant_features():
  features = np.array([[1.0, 5.0], [3.0, 5.0]], np.float32)
  standardizer = lr.fit_standardizer(features)
  np.testing.assert_allclose(lr.standardize(standardizer, features), [[-1, 0], [1, 0]])
  np.testing.assert_allclose(lr.standardize(standardizer, [[2.0, 6.0]]), [[0, 1]])


def test_stronger_l2_shrinks_the_weights():
  train = blobs(60, 3)
  x = lr.standardize(lr.fit_standardizer(train.features), train.features)
  norms = [float(np.linalg.norm(lr.fit(x, train.labels, l2, num_classes=3, num_steps=20).weights))
           for l2 in (1e-3, 1.0)]
  assert norms[1] < norms[0]
