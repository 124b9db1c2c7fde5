"""Speaker splits of an audio-folder corpus.

'loso' (leave one speaker out) tests on speaker ``fold`` (1-based, in sorted order of the
speaker names) and validates on the next speaker in that order (the first after the last), so
every fold's validation speaker is a training speaker of the other folds and none of the three
splits shares a speaker. 'column' takes the labels CSV's split column as it is.
"""

from __future__ import annotations

import numpy as np

KINDS = ('loso', 'column')


def loso_rows(speakers: np.ndarray, fold: int) -> dict[str, np.ndarray]:
  """Row indices of train, validation and test for leave-one-speaker-out fold ``fold``."""
  names = np.unique(speakers)
  if len(names) < 3:
    raise ValueError(f'Leave-one-speaker-out needs at least 3 speakers, got {names.tolist()}.')
  if not 1 <= fold <= len(names):
    raise ValueError(f'data.fold must be in 1..{len(names)} (one fold per speaker), got {fold}.')
  test, validation = names[fold - 1], names[fold % len(names)]
  rows = np.arange(len(speakers))
  return {'train': rows[(speakers != test) & (speakers != validation)],
          'validation': rows[speakers == validation], 'test': rows[speakers == test]}


def column_rows(splits: np.ndarray | None) -> dict[str, np.ndarray]:
  """Row indices of each split named by the labels CSV's split column."""
  if splits is None:
    raise ValueError("data.split 'column' needs data.columns.split, the labels CSV's split "
                     'column.')
  rows = {name: np.flatnonzero(splits == name) for name in ('train', 'validation', 'test')}
  empty = [name for name, r in rows.items() if not len(r)]
  if empty:
    raise ValueError(f'The split column has no rows of {empty}.')
  return rows


def split_rows(kind: str, speakers: np.ndarray, splits: np.ndarray | None,
               fold: int) -> dict[str, np.ndarray]:
  if kind == 'loso':
    return loso_rows(speakers, fold)
  if kind == 'column':
    return column_rows(splits)
  raise ValueError(f'Unknown data.split {kind!r}; choose one of: {", ".join(KINDS)}.')
