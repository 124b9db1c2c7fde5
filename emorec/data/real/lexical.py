"""Our per-utterance lexical feature format (written by launch/extract_text.py).

One ``{split}.npz`` per split of the release (MELD: train, dev, test), holding:
  ``ids``: str [N], the utterance keys (MELD: "{Dialogue_ID}_{Utterance_ID}");
  ``pooled``: float32 [N, D], the sentence embedding of each utterance;
  ``tokens``: float16 [total_tokens, D], the token embeddings of every utterance, concatenated
    (at most ``max_tokens`` per utterance, the special tokens included);
  ``offsets``: int64 [N + 1], utterance i's tokens being ``tokens[offsets[i]:offsets[i + 1]]``;
  ``model``: str scalar, the encoder that produced them; ``max_tokens``: int scalar;
  ``provenance`` (optional): str scalar, JSON of the source file, its SHA-1, the columns read,
    the encoder and package versions and the command.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Sequence

import numpy as np

from emorec.data import safe_npz

KEYS = ('ids', 'pooled', 'tokens', 'offsets', 'model', 'max_tokens')


@dataclasses.dataclass(frozen=True)
class LexicalFeatures:
  """The contents of one split's file (see the module docstring)."""

  ids: np.ndarray
  pooled: np.ndarray
  tokens: np.ndarray
  offsets: np.ndarray
  model: str
  max_tokens: int
  provenance: str = ''

  def token_frames(self, row: int) -> np.ndarray:
    """Token embeddings [T, D] of utterance ``row``, as float32."""
    return self.tokens[self.offsets[row]:self.offsets[row + 1]].astype(np.float32)


def path(directory: str | pathlib.Path, split: str) -> pathlib.Path:
  """The file of ``split`` in ``directory``."""
  return pathlib.Path(directory) / f'{split}.npz'


def pack(ids: Sequence[str], pooled: np.ndarray, token_rows: Sequence[np.ndarray], model: str,
         max_tokens: int, provenance: str = '') -> LexicalFeatures:
  """Features from per-utterance token embeddings (each truncated to ``max_tokens``)."""
  kept = [np.asarray(rows[:max_tokens], np.float16) for rows in token_rows]
  lengths = np.array([len(rows) for rows in kept], np.int64)
  return LexicalFeatures(
      ids=np.array(ids, dtype=str), pooled=np.asarray(pooled, np.float32),
      tokens=np.concatenate(kept) if kept else np.zeros((0, pooled.shape[1]), np.float16),
      offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), model=model,
      max_tokens=max_tokens, provenance=provenance)


def write(file: str | pathlib.Path, features: LexicalFeatures) -> None:
  """Writes one split's file after checking that its arrays agree."""
  _check(str(file), features)
  pathlib.Path(file).parent.mkdir(parents=True, exist_ok=True)
  np.savez(file, ids=features.ids, pooled=features.pooled, tokens=features.tokens,
           offsets=features.offsets, model=np.array(features.model),
           max_tokens=np.array(features.max_tokens), provenance=np.array(features.provenance))


def read(file: str | pathlib.Path, max_array_bytes: int | None = None) -> LexicalFeatures:
  """Reads one split's file (``safe_npz``: no pickles; string arrays are stored as unicode)."""
  arrays = safe_npz.load(file, (*KEYS, 'provenance'), max_array_bytes=max_array_bytes)
  missing = [key for key in KEYS if key not in arrays]
  if missing:
    raise ValueError(f'{file}: lacks {missing}, expected the arrays {list(KEYS)} '
                     '(see emorec/data/real/lexical.py).')
  kinds = {'ids': ('U', 'unicode strings'), 'pooled': ('f', 'floats'), 'tokens': ('f', 'floats'),
           'offsets': ('iu', 'integers'), 'model': ('U', 'a unicode string'),
           'max_tokens': ('iu', 'an integer')}
  for key, (kind, expected) in kinds.items():
    if arrays[key].dtype.kind not in kind or (key in ('model', 'max_tokens')
                                              and arrays[key].ndim):
      raise ValueError(f'{file}: {key} is a {arrays[key].dtype} array of shape '
                       f'{list(arrays[key].shape)}, expected {expected}.')
  features = LexicalFeatures(
      ids=arrays['ids'], pooled=arrays['pooled'], tokens=arrays['tokens'],
      offsets=arrays['offsets'], model=str(arrays['model']),
      max_tokens=int(arrays['max_tokens']),
      provenance=str(arrays['provenance']) if 'provenance' in arrays else '')
  _check(str(file), features)
  return features


def _check(source: str, features: LexicalFeatures) -> None:
  """Raises a ValueError naming the file when the arrays disagree in shape."""
  count = len(features.ids)
  expectations = {
      'pooled': (features.pooled.ndim == 2 and features.pooled.shape[0] == count,
                 f'[{count}, D]', features.pooled.shape),
      'offsets': (features.offsets.shape == (count + 1,) and features.offsets[0] == 0
                  and features.offsets[-1] == len(features.tokens)
                  and np.all(np.diff(features.offsets) >= 0),
                  f'[{count + 1}] non-decreasing from 0 to len(tokens)', features.offsets.shape),
      'tokens': (features.tokens.ndim == 2
                 and features.tokens.shape[1:] == features.pooled.shape[1:],
                 '[total_tokens, D] with the D of pooled', features.tokens.shape),
  }
  for key, (valid, expected, shape) in expectations.items():
    if not valid:
      raise ValueError(f'{source}: {key} has shape {list(shape)}, expected {expected}.')
