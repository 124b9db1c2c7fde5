"""A split's features averaged over frames: the input of linear probes on any corpus."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from emorec.data.corpus import Corpus


def pooled_features(corpus: Corpus, split: str, modality: str) -> tuple[np.ndarray, np.ndarray]:
  """([N, D] the mean of each example's frames (the frame itself when there is one), [N] labels)."""
  data = corpus.splits[split]
  dataset = tf.data.Dataset.range(data.num_examples).map(
      lambda i: tf.reduce_mean(data.example_fn(i)[modality], axis=0)).batch(1024)
  return np.concatenate(list(dataset.as_numpy_iterator())), np.asarray(data.labels)
