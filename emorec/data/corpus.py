"""The corpus interface every dataset implements: index-addressable splits of feature dicts.

An example is a dict of tensors:
  ``{modality}``: float32 [T_m, D_m] (T_m may vary, may be 0 for a missing modality),
  ``label``: int32 scalar (single-label corpora) or ``labels``: float32 [K] (multi-label),
  ``speaker``: int32 scalar, ``index``: int64 scalar (position within its split).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

import numpy as np
import tensorflow as tf

MODALITIES = ('text', 'audio', 'vision')

ExampleFn = Callable[[tf.Tensor], dict[str, tf.Tensor]]


@dataclasses.dataclass(frozen=True)
class Split:
  """One split: ``example_fn(i)`` builds example ``i`` (a scalar int64 tensor) inside tf.data.

  Attributes:
    labels: [N] int class ids, or [N, K] {0, 1} for multi-label corpora. Used for label-subset
      sampling and zero-shot filtering without touching the features.
    example_fn: traceable TensorFlow function from an index to a feature dict.
    ids: optional [N] utterance ids, in example order (for per-utterance outputs).
  """

  labels: np.ndarray
  example_fn: ExampleFn
  ids: np.ndarray | None = None

  @property
  def num_examples(self) -> int:
    return int(self.labels.shape[0])


@dataclasses.dataclass(frozen=True)
class Corpus:
  """A multimodal emotion corpus.

  Attributes:
    name: short name used in logs and tables.
    emotions: class names, in label order.
    modality_dims: feature dimension of each modality the corpus has, in MODALITIES order.
    multi_label: whether examples carry ``labels`` [K] instead of ``label``.
    splits: at least 'train', 'validation' and 'test'.
    info: facts worth reporting (for the synthetic corpus, its Bayes accuracy).
  """

  name: str
  emotions: tuple[str, ...]
  modality_dims: Mapping[str, int]
  multi_label: bool
  splits: Mapping[str, Split]
  info: Mapping[str, Any] = dataclasses.field(default_factory=dict)

  @property
  def num_classes(self) -> int:
    return len(self.emotions)

  @property
  def label_key(self) -> str:
    """The example key holding the labels: 'labels' (multi-label) or 'label'."""
    return 'labels' if self.multi_label else 'label'

  @property
  def modalities(self) -> tuple[str, ...]:
    return tuple(m for m in MODALITIES if m in self.modality_dims)
