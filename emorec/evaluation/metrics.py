"""Emotion recognition metrics in numpy: confusion matrices, WA/UA/F1 and multi-label scores.

Every function takes host arrays (numpy, or anything ``np.asarray`` accepts, such as jax arrays)
and returns plain Python floats, so results can go straight into logs and tables. Rates are
fractions in [0, 1]. A rate whose denominator is zero counts as 0, except the ROC AUC, which is
NaN when it is undefined (see ``roc_auc``).

Single-label corpora (IEMOCAP, MELD) accumulate a confusion matrix over the evaluation set with
``confusion_matrix`` (confusion matrices of batches add up) and turn it into scores with
``classification_metrics``. Multi-label corpora (CMU-MOSEI emotions) keep all scores and call
``multilabel_metrics`` once, because the AUC needs the whole ranking.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np


def _validity_mask(shape: tuple[int, ...], weights: np.ndarray | None) -> np.ndarray:
  """Boolean mask of the examples to count: ``weights`` (0/1, same shape) or all of them."""
  if weights is None:
    return np.ones(shape, dtype=bool)
  weights = np.asarray(weights)
  if weights.shape != shape:
    raise ValueError(f'weights have shape {weights.shape}, expected {shape}.')
  if not np.all((weights == 0) | (weights == 1)):
    raise ValueError('weights must be a 0/1 validity mask.')
  return weights.astype(bool)


def _check_class_ids(name: str, ids: np.ndarray, num_classes: int) -> None:
  """Raises ValueError unless ``ids`` are integers in [0, num_classes)."""
  if not np.issubdtype(ids.dtype, np.integer):
    raise ValueError(f'{name} must be integer class ids, got dtype {ids.dtype}.')
  outside = ids[(ids < 0) | (ids >= num_classes)]
  if outside.size:
    raise ValueError(
        f'{name} must lie in [0, {num_classes}), got {sorted(set(outside.tolist()))}.')


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
  """Elementwise ``numerator / denominator`` with 0 where the denominator is 0."""
  numerator = np.asarray(numerator, dtype=np.float64)
  denominator = np.asarray(denominator, dtype=np.float64)
  safe = np.where(denominator == 0, 1.0, denominator)
  return np.where(denominator == 0, 0.0, numerator / safe)


def confusion_matrix(
    labels: np.ndarray,
    predictions: np.ndarray,
    num_classes: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
  """Counts (true class, predicted class) pairs.

  Args:
    labels: integer class ids, any shape (e.g. [B] or [devices, B]).
    predictions: integer class ids, same shape as ``labels``.
    num_classes: K.
    weights: optional 0/1 validity mask of the same shape; examples with weight 0 (padding) are
      skipped, and their labels and predictions are not validated.

  Returns:
    int64 [K, K]; entry [i, j] counts examples of true class i predicted as class j.

  Raises:
    ValueError: on mismatched shapes, a non-0/1 mask, or a valid class id outside [0, K).
  """
  labels = np.asarray(labels)
  predictions = np.asarray(predictions)
  if labels.shape != predictions.shape:
    raise ValueError(
        f'labels have shape {labels.shape} but predictions have shape {predictions.shape}.')
  valid = _validity_mask(labels.shape, weights)
  labels = labels[valid]
  predictions = predictions[valid]
  _check_class_ids('labels', labels, num_classes)
  _check_class_ids('predictions', predictions, num_classes)
  pairs = labels.astype(np.int64) * num_classes + predictions.astype(np.int64)
  counts = np.bincount(pairs, minlength=num_classes * num_classes)
  return counts.reshape(num_classes, num_classes).astype(np.int64)


def _per_class_rates(confusion: np.ndarray) -> tuple[np.ndarray, ...]:
  """Returns precision, recall, F1, support and predicted counts of each class."""
  true_positives = np.diag(confusion)
  support = confusion.sum(axis=1)
  predicted = confusion.sum(axis=0)
  precision = _safe_divide(true_positives, predicted)
  recall = _safe_divide(true_positives, support)
  f1 = _safe_divide(2 * true_positives, support + predicted)
  return precision, recall, f1, support, predicted


def classification_metrics(
    confusion: np.ndarray, class_names: Sequence[str]) -> dict[str, float]:
  """Single-label scores from a confusion matrix (rows true, columns predicted).

  Conventions, chosen so that classes missing from an evaluation set do not distort the means:

  - ``ua`` (unweighted accuracy) averages the recall over the classes that occur in the ground
    truth; a class with no true example has no recall and is left out.
  - ``macro_f1`` averages the F1 over the classes that occur in the ground truth or in the
    predictions. A class predicted but never true counts with F1 0; a class neither true nor
    predicted is left out.
  - ``weighted_f1`` weights each class's F1 by its support, so absent classes weigh nothing.
  - Per-class precision, recall and F1 are 0 where undefined (no prediction, no true example).
  - With no examples at all, every score is 0.

  Args:
    confusion: [K, K] counts, e.g. from ``confusion_matrix``.
    class_names: K names used in the per-class keys.

  Returns:
    ``num_examples``, ``wa``, ``ua``, ``weighted_f1``, ``macro_f1``, and for each class name
    ``precision/<name>``, ``recall/<name>``, ``f1/<name>``.
  """
  confusion = np.asarray(confusion)
  num_classes = len(class_names)
  if confusion.shape != (num_classes, num_classes):
    raise ValueError(
        f'confusion has shape {confusion.shape}, expected ({num_classes}, {num_classes}) '
        'from class_names.')
  precision, recall, f1, support, predicted = _per_class_rates(confusion)
  total = confusion.sum()
  in_truth = support > 0
  in_either = in_truth | (predicted > 0)
  metrics = {
      'num_examples': float(total),
      'wa': float(_safe_divide(np.trace(confusion), total)),
      'ua': float(_safe_divide(recall[in_truth].sum(), in_truth.sum())),
      'weighted_f1': float(_safe_divide((f1 * support).sum(), total)),
      'macro_f1': float(_safe_divide(f1[in_either].sum(), in_either.sum())),
  }
  for i, name in enumerate(class_names):
    metrics[f'precision/{name}'] = float(precision[i])
    metrics[f'recall/{name}'] = float(recall[i])
    metrics[f'f1/{name}'] = float(f1[i])
  return metrics


class BinaryCounts(NamedTuple):
  """Per-column counts of a batch of binary decisions; each field has shape [K]."""

  true_positives: np.ndarray
  false_positives: np.ndarray
  true_negatives: np.ndarray
  false_negatives: np.ndarray

  @property
  def positives(self) -> np.ndarray:
    return self.true_positives + self.false_negatives

  @property
  def negatives(self) -> np.ndarray:
    return self.true_negatives + self.false_positives


def binary_counts(
    labels: np.ndarray, predictions: np.ndarray, valid: np.ndarray) -> BinaryCounts:
  """Counts outcomes per column of [N, K] boolean labels and predictions over valid rows [N]."""
  labels = labels[valid]
  predictions = predictions[valid]
  return BinaryCounts(
      true_positives=np.sum(labels & predictions, axis=0),
      false_positives=np.sum(~labels & predictions, axis=0),
      true_negatives=np.sum(~labels & ~predictions, axis=0),
      false_negatives=np.sum(labels & ~predictions, axis=0),
  )


def weighted_accuracy(counts: BinaryCounts) -> np.ndarray:
  """Per-column (TP·N/P + TN) / (2N), i.e. the mean of the positive and negative recalls.

  This is the weighted accuracy reported on CMU-MOSEI. It is written here as
  (TP/P + TN/N) / 2, with a recall whose class is absent counting as 0: a column holding only
  one class scores at most 0.5.
  """
  positive_recall = _safe_divide(counts.true_positives, counts.positives)
  negative_recall = _safe_divide(counts.true_negatives, counts.negatives)
  return (positive_recall + negative_recall) / 2


def weighted_binary_f1(counts: BinaryCounts) -> np.ndarray:
  """Per-column F1 of the positive and of the negative class, averaged weighted by support."""
  positive_f1 = _safe_divide(
      2 * counts.true_positives,
      2 * counts.true_positives + counts.false_positives + counts.false_negatives)
  negative_f1 = _safe_divide(
      2 * counts.true_negatives,
      2 * counts.true_negatives + counts.false_positives + counts.false_negatives)
  weighted = positive_f1 * counts.positives + negative_f1 * counts.negatives
  return _safe_divide(weighted, counts.positives + counts.negatives)


def average_ranks(values: np.ndarray) -> np.ndarray:
  """1-based ranks of a 1-D array in ascending order; tied values share their mean rank."""
  _, inverse, tie_counts = np.unique(values, return_inverse=True, return_counts=True)
  last_rank = np.cumsum(tie_counts)
  return (last_rank - (tie_counts - 1) / 2)[inverse]


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
  """Area under the ROC curve of one binary problem, from ranks (Mann-Whitney U).

  The AUC is the probability that a random positive scores above a random negative, ties
  counting one half. It is undefined, and NaN is returned, when the labels hold only one class.

  Args:
    labels: [N] booleans.
    scores: [N] real scores, higher meaning more likely positive.
  """
  num_positives = int(labels.sum())
  num_negatives = labels.size - num_positives
  if num_positives == 0 or num_negatives == 0:
    return float('nan')
  positive_rank_sum = average_ranks(scores)[labels].sum()
  u_statistic = positive_rank_sum - num_positives * (num_positives + 1) / 2
  return float(u_statistic / (num_positives * num_negatives))


def _nan_mean(values: np.ndarray) -> float:
  """Mean of the finite entries; NaN (without a warning) when there are none."""
  finite = values[~np.isnan(values)]
  return float(finite.mean()) if finite.size else float('nan')


def multilabel_metrics(
    labels: np.ndarray,
    scores: np.ndarray,
    class_names: Sequence[str],
    threshold: float = 0.5,
    weights: np.ndarray | None = None,
) -> dict[str, float]:
  """Per-emotion and mean scores of multi-label predictions (CMU-MOSEI emotions).

  Each emotion is its own binary problem; an emotion is predicted present when its score is
  strictly greater than ``threshold``.

  Args:
    labels: [N, K] {0, 1} ground truth.
    scores: [N, K] probabilities (or any scores that ``threshold`` separates).
    class_names: K emotion names used in the per-emotion keys.
    threshold: decision threshold on ``scores``.
    weights: optional [N] 0/1 validity mask; rows with weight 0 (padding) are ignored.

  Returns:
    ``num_examples``; for each emotion ``wacc/<name>`` (see ``weighted_accuracy``),
    ``wf1/<name>`` (see ``weighted_binary_f1``) and ``auc/<name>`` (NaN when the emotion's
    column holds one class only, see ``roc_auc``); and their means ``wacc``, ``wf1`` and
    ``auc``, the last over the emotions whose AUC is defined (NaN if none is).
  """
  labels = np.asarray(labels)
  scores = np.asarray(scores, dtype=np.float64)
  num_classes = len(class_names)
  if labels.ndim != 2 or labels.shape[1] != num_classes:
    raise ValueError(f'labels have shape {labels.shape}, expected [N, {num_classes}].')
  if scores.shape != labels.shape:
    raise ValueError(f'scores have shape {scores.shape}, expected {labels.shape}.')
  if not np.all((labels == 0) | (labels == 1)):
    raise ValueError('labels must be 0 or 1.')
  valid = _validity_mask(labels.shape[:1], weights)
  truth = labels.astype(bool)
  counts = binary_counts(truth, scores > threshold, valid)
  wacc = weighted_accuracy(counts)
  wf1 = weighted_binary_f1(counts)
  auc = np.array([roc_auc(truth[valid, k], scores[valid, k]) for k in range(num_classes)])
  metrics = {'num_examples': float(valid.sum())}
  for k, name in enumerate(class_names):
    metrics[f'wacc/{name}'] = float(wacc[k])
    metrics[f'wf1/{name}'] = float(wf1[k])
    metrics[f'auc/{name}'] = float(auc[k])
  metrics['wacc'] = float(wacc.mean()) if num_classes else 0.0
  metrics['wf1'] = float(wf1.mean()) if num_classes else 0.0
  metrics['auc'] = _nan_mean(auc)
  return metrics
