"""Metrics against values worked out by hand."""

import math

import numpy as np
import pytest

from emorec.evaluation import metrics

CLASSES = ('neu', 'hap', 'sad', 'ang', 'fru')

# Rows true, columns predicted. 'sad' occurs but is never predicted; 'ang' is predicted once but
# never true; 'fru' occurs nowhere.
CONFUSION = np.array([
    [3, 1, 0, 0, 0],
    [1, 2, 0, 1, 0],
    [1, 1, 0, 0, 0],
    [0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0],
])


def _pairs_from_confusion(confusion):
  """Label and prediction lists that produce ``confusion``."""
  labels, predictions = [], []
  for true_class, row in enumerate(confusion):
    for predicted_class, count in enumerate(row):
      labels += [true_class] * count
      predictions += [predicted_class] * count
  return np.array(labels), np.array(predictions)


def test_confusion_matrix_counts_pairs():
  labels, predictions = _pairs_from_confusion(CONFUSION)
  order = np.random.default_rng(0).permutation(labels.size)
  result = metrics.confusion_matrix(labels[order], predictions[order], num_classes=5)
  assert result.dtype == np.int64
  np.testing.assert_array_equal(result, CONFUSION)


def test_confusion_matrix_excludes_padding():
  labels, predictions = _pairs_from_confusion(CONFUSION)
  # Padding carries arbitrary ids, even out-of-range ones; weight 0 must drop them unchecked.
  padded_labels = np.concatenate([labels, [0, -1, 4]])
  padded_predictions = np.concatenate([predictions, [4, 0, 7]])
  weights = np.concatenate([np.ones(labels.size), np.zeros(3)])
  result = metrics.confusion_matrix(padded_labels, padded_predictions, 5, weights=weights)
  np.testing.assert_array_equal(result, CONFUSION)


def test_confusion_matrix_accepts_device_batch_shape():
  labels = np.array([[0, 1], [1, 1]], dtype=np.int32)
  predictions = np.array([[0, 0], [1, 1]], dtype=np.int32)
  weights = np.array([[1, 1], [1, 0]])
  np.testing.assert_array_equal(
      metrics.confusion_matrix(labels, predictions, 2, weights), [[1, 0], [1, 1]])


def test_confusion_matrices_of_batches_add_up():
  labels, predictions = _pairs_from_confusion(CONFUSION)
  first = metrics.confusion_matrix(labels[:4], predictions[:4], 5)
  second = metrics.confusion_matrix(labels[4:], predictions[4:], 5)
  np.testing.assert_array_equal(first + second, CONFUSION)


@pytest.mark.parametrize('labels, predictions, message', [
    ([0, 5], [0, 1], r'labels must lie in \[0, 5\), got \[5\]'),
    ([0, 1], [-1, 1], r'predictions must lie in \[0, 5\), got \[-1\]'),
    ([0.0, 1.0], [0, 1], 'labels must be integer class ids'),
    ([0, 1, 2], [0, 1], 'shape'),
])
def test_confusion_matrix_rejects_bad_ids(labels, predictions, message):
  with pytest.raises(ValueError, match=message):
    metrics.confusion_matrix(np.array(labels), np.array(predictions), num_classes=5)


def test_confusion_matrix_rejects_non_binary_weights():
  with pytest.raises(ValueError, match='0/1'):
    metrics.confusion_matrix(np.array([0, 1]), np.array([0, 1]), 2, weights=np.array([1, 0.5]))


def test_classification_metrics_by_hand():
  result = metrics.classification_metrics(CONFUSION, CLASSES)
  # Supports (row sums) 4, 4, 2, 0, 0; predicted (column sums) 5, 4, 0, 1, 0; 10 examples.
  expected = {
      'num_examples': 10,
      'wa': 5 / 10,
      # Recall over the classes with a true example: neu 3/4, hap 2/4, sad 0/2.
      'ua': (3 / 4 + 2 / 4 + 0) / 3,
      # F1 = 2 TP / (support + predicted): neu 6/9, hap 4/8, sad 0, ang 0, fru 0.
      'weighted_f1': (6 / 9 * 4 + 4 / 8 * 4 + 0 * 2) / 10,
      # Over neu, hap, sad (true) and ang (predicted); fru is neither, so left out.
      'macro_f1': (6 / 9 + 4 / 8 + 0 + 0) / 4,
      'precision/neu': 3 / 5, 'recall/neu': 3 / 4, 'f1/neu': 6 / 9,
      'precision/hap': 2 / 4, 'recall/hap': 2 / 4, 'f1/hap': 4 / 8,
      'precision/sad': 0.0, 'recall/sad': 0.0, 'f1/sad': 0.0,
      'precision/ang': 0.0, 'recall/ang': 0.0, 'f1/ang': 0.0,
      'precision/fru': 0.0, 'recall/fru': 0.0, 'f1/fru': 0.0,
  }
  assert result.keys() == expected.keys()
  for key, value in expected.items():
    assert result[key] == pytest.approx(value), key
    assert isinstance(result[key], float), key


def test_classification_metrics_perfect_and_empty():
  perfect = metrics.classification_metrics(np.diag([2, 3, 0]), ('a', 'b', 'c'))
  for key in ('wa', 'ua', 'weighted_f1', 'macro_f1', 'f1/a', 'f1/b'):
    assert perfect[key] == 1.0, key
  assert perfect['f1/c'] == 0.0
  empty = metrics.classification_metrics(np.zeros((2, 2), np.int64), ('a', 'b'))
  assert all(value == 0.0 for value in empty.values())


def test_classification_metrics_checks_class_names():
  with pytest.raises(ValueError, match='expected'):
    metrics.classification_metrics(CONFUSION, CLASSES[:4])


EMOTIONS = ('happy', 'sad', 'anger')

# Six real rows and a padded one. 'happy' has ties across classes at 0.4, 'sad' ties across
# classes at 0.5 and 0.8 and a score equal to the threshold, 'anger' has no positive at all.
ML_LABELS = np.array([
    [1, 0, 0],
    [1, 1, 0],
    [0, 1, 0],
    [0, 1, 0],
    [0, 0, 0],
    [0, 1, 0],
    [1, 0, 1],
])
ML_SCORES = np.array([
    [0.9, 0.5, 0.1],
    [0.4, 0.5, 0.2],
    [0.4, 0.8, 0.6],
    [0.7, 0.2, 0.3],
    [0.2, 0.8, 0.1],
    [0.1, 0.6, 0.4],
    [0.0, 0.9, 0.99],
])
ML_WEIGHTS = np.array([1, 1, 1, 1, 1, 1, 0])


def test_multilabel_metrics_by_hand():
  result = metrics.multilabel_metrics(ML_LABELS, ML_SCORES, EMOTIONS, weights=ML_WEIGHTS)
  # happy: P=2, N=4; predicted (> 0.5) rows 0 and 3: TP=1, FN=1, FP=1, TN=3.
  # sad: P=4, N=2; predicted rows 2, 4, 5 (0.5 is not above the threshold): TP=2, FN=2, FP=1,
  #   TN=1.
  # anger: P=0, N=6; predicted row 2: FP=1, TN=5.
  wacc = {
      'happy': (1 * 4 / 2 + 3) / (2 * 4),
      'sad': (2 * 2 / 4 + 1) / (2 * 2),
      'anger': (0 + 5) / (2 * 6),  # TP·N/P counts as 0 without positives.
  }
  # Weighted F1 = (F1_pos·P + F1_neg·N) / (P + N), F1 = 2TP / (2TP + FP + FN) per side.
  wf1 = {
      'happy': (2 / 4 * 2 + 6 / 8 * 4) / 6,
      'sad': (4 / 7 * 4 + 2 / 5 * 2) / 6,
      'anger': (0 * 0 + 10 / 11 * 6) / 6,
  }
  # AUC = share of (positive, negative) pairs ranked right, ties counting one half.
  # happy: 0.9 beats all 4 negatives; 0.4 ties 0.4, loses to 0.7, beats 0.2 and 0.1 -> 6.5 / 8.
  # sad: 0.5 -> 0.5, 0.8 -> 1.5, 0.2 -> 0, 0.6 -> 1 against negatives {0.5, 0.8} -> 3 / 8.
  auc = {'happy': 6.5 / 8, 'sad': 3 / 8}
  assert result['num_examples'] == 6
  for name in EMOTIONS:
    assert result[f'wacc/{name}'] == pytest.approx(wacc[name]), name
    assert result[f'wf1/{name}'] == pytest.approx(wf1[name]), name
  assert result['auc/happy'] == pytest.approx(auc['happy'])
  assert result['auc/sad'] == pytest.approx(auc['sad'])
  assert math.isnan(result['auc/anger'])
  assert result['wacc'] == pytest.approx(sum(wacc.values()) / 3)
  assert result['wf1'] == pytest.approx(sum(wf1.values()) / 3)
  assert result['auc'] == pytest.approx((6.5 / 8 + 3 / 8) / 2)


def test_multilabel_metrics_counts_padding_without_weights():
  result = metrics.multilabel_metrics(ML_LABELS, ML_SCORES, EMOTIONS)
  assert result['num_examples'] == 7
  # The padded row makes 'anger' two-class: its one positive outscores every negative.
  assert result['auc/anger'] == 1.0


def test_multilabel_metrics_all_positive_and_no_defined_auc():
  result = metrics.multilabel_metrics(
      np.array([[1], [1], [1], [1]]), np.array([[0.9], [0.8], [0.3], [0.6]]), ('joy',))
  assert result['wacc/joy'] == pytest.approx(3 / 4 / 2)
  assert result['wf1/joy'] == pytest.approx(2 * 3 / (2 * 3 + 1))
  assert math.isnan(result['auc/joy'])
  assert math.isnan(result['auc'])


@pytest.mark.parametrize('labels, scores, message', [
    (np.array([[0, 2]]), np.array([[0.1, 0.2]]), '0 or 1'),
    (np.array([[0, 1]]), np.array([[0.1, 0.2, 0.3]]), 'scores have shape'),
    (np.array([0, 1]), np.array([0.1, 0.2]), 'labels have shape'),
])
def test_multilabel_metrics_validates(labels, scores, message):
  with pytest.raises(ValueError, match=message):
    metrics.multilabel_metrics(labels, scores, ('a', 'b'))


def test_average_ranks_share_ties():
  np.testing.assert_array_equal(
      metrics.average_ranks(np.array([0.3, 0.1, 0.3, 0.2, 0.3])), [4, 1, 4, 2, 4])


@pytest.mark.parametrize('scores, expected', [
    ([0.1, 0.2, 0.8, 0.9], 1.0),
    ([0.9, 0.8, 0.2, 0.1], 0.0),
    ([0.5, 0.5, 0.5, 0.5], 0.5),
])
def test_roc_auc_extremes(scores, expected):
  labels = np.array([False, False, True, True])
  assert metrics.roc_auc(labels, np.array(scores)) == expected
