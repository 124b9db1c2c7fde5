"""Pooled features of a corpus split: each modality's mean over its real frames, in numpy.

The frames are those the networks see: the split's examples through the evaluation stream
(`pipeline.eval_stream`), truncated to `max_len` and masked, so a probe and a network read the
same inputs. A modality an utterance lacks pools to zeros and is marked absent.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from emorec.data import pipeline
from emorec.data.corpus import Split


class Pooled(NamedTuple):
  """One split pooled: {modality: [N, D_m]} means, {modality: [N] bool} presence, [N] labels."""

  features: dict[str, np.ndarray]
  present: dict[str, np.ndarray]
  labels: np.ndarray

  def take(self, indices: np.ndarray) -> 'Pooled':
    """The rows ``indices`` of every array."""
    return Pooled({m: x[indices] for m, x in self.features.items()},
                  {m: p[indices] for m, p in self.present.items()}, self.labels[indices])

  def concatenated(self, modalities: Sequence[str] | None = None) -> np.ndarray:
    """[N, sum D_m]: the pooled features of ``modalities`` (default: all) side by side."""
    names = tuple(self.features) if modalities is None else tuple(modalities)
    return np.concatenate([self.features[m] for m in names], axis=1)


def masked_mean(frames: np.ndarray, mask: np.ndarray) -> np.ndarray:
  """Mean of ``frames`` [B, T, D] over the frames where ``mask`` [B, T] is 1; zeros if none."""
  counts = mask.sum(axis=1, keepdims=True)
  total = np.einsum('btd,bt->bd', frames.astype(np.float64), mask.astype(np.float64))
  return (total / np.maximum(counts, 1.0)).astype(np.float32)


def pool_split(split: Split, modalities: Sequence[str], *, max_len: int, label_key: str = 'label',
               batch_size: int = 256) -> Pooled:
  """Every example of ``split`` pooled, in split order."""
  if label_key != 'label':
    raise ValueError(f"the probes take single-label corpora ('label'), not {label_key!r}.")
  stream = pipeline.eval_stream(split, modalities=tuple(modalities), max_len=max_len,
                                keys=(label_key,), global_batch_size=batch_size)
  features = {m: [] for m in modalities}
  present = {m: [] for m in modalities}
  labels = []
  for batch in stream.as_numpy_iterator():
    valid = batch['valid'] > 0
    for m in modalities:
      mask = batch[f'{m}_mask'][valid]
      features[m].append(masked_mean(batch[m][valid], mask))
      present[m].append(mask.sum(axis=1) > 0)
    labels.append(batch[label_key][valid])
  return Pooled({m: np.concatenate(v) for m, v in features.items()},
                {m: np.concatenate(v) for m, v in present.items()},
                np.concatenate(labels).astype(np.int32))
