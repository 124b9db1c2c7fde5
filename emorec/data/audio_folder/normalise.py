"""Feature standardisation of variable-length utterances: per speaker, or by the training split.

'speaker' centres and scales each speaker's frames by that speaker's own mean and standard
deviation over all its frames (the usual normalisation of acted-speech corpora; it uses the
test speaker's unlabelled features, never its labels); 'train' uses the statistics of the
training rows' frames for everyone; 'none' keeps the features as extracted.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

KINDS = ('speaker', 'train', 'none')


def _statistics(utterances: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
  frames = np.concatenate(utterances).astype(np.float64)
  std = frames.std(axis=0)
  return frames.mean(axis=0), np.where(std > 1e-8, std, 1.0)


def standardised(utterances: Sequence[np.ndarray], speakers: np.ndarray, train_rows: np.ndarray,
                 kind: str) -> list[np.ndarray]:
  """Each utterance's frames [T, D] standardised as ``kind`` says, as float32."""
  if kind not in KINDS:
    raise ValueError(f'Unknown data.normalise {kind!r}; choose one of: {", ".join(KINDS)}.')
  if kind == 'none':
    return list(utterances)
  if kind == 'train':
    groups = {None: _statistics([utterances[r] for r in train_rows])}
    key = [None] * len(utterances)
  else:
    groups = {s: _statistics([u for u, t in zip(utterances, speakers) if t == s])
              for s in np.unique(speakers)}
    key = list(speakers)
  return [((u - groups[k][0]) / groups[k][1]).astype(np.float32) for u, k in zip(utterances, key)]
