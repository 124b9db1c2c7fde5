"""Which utterances form each split: the release's own splits or leave-one-session-out folds.

'release' keeps the release's train/validation/test; when it has no validation split, one is
carved from train. 'loso' (IEMOCAP) tests on session ``fold`` (1..5) and trains on the other
four, carving validation from them: test speakers are never seen in training. Carving takes a
share of the dialogues, chosen by a hash of their names (deterministic, independent of seeds,
and a dialogue's utterances stay together).
"""

from __future__ import annotations

import hashlib

import numpy as np

from emorec.data.real import iemocap

KINDS = ('release', 'loso')


def carved(dialogues: np.ndarray, share: float) -> np.ndarray:
  """Mask of the rows whose dialogue falls in the carved ``share`` of the dialogues."""
  if not 0.0 < share < 1.0:
    raise ValueError(f'data.validation_share must be in (0, 1), got {share}.')
  names = sorted(set(dialogues.tolist()), key=lambda d: hashlib.sha1(d.encode()).hexdigest())
  chosen = names[:max(1, round(share * len(names)))]
  return np.isin(dialogues, chosen)


def _with_validation(train: np.ndarray, test: np.ndarray, dialogues: np.ndarray,
                     share: float) -> dict[str, np.ndarray]:
  held = carved(dialogues[train], share)
  return {'train': train[~held], 'validation': train[held], 'test': test}


def release_rows(rows: np.ndarray, release_splits: np.ndarray, dialogues: np.ndarray,
                 share: float) -> dict[str, np.ndarray]:
  """The rows of each release split; validation carved from train when there is none."""
  by_split = {name: rows[release_splits[rows] == name] for name in ('train', 'validation', 'test')}
  if len(by_split['validation']):
    return by_split
  return _with_validation(by_split['train'], by_split['test'], dialogues, share)


def loso_rows(rows: np.ndarray, ids: np.ndarray, dialogues: np.ndarray, fold: int,
              share: float) -> dict[str, np.ndarray]:
  """Leave-one-session-out: session ``fold`` tests, validation is carved from the others."""
  if not 1 <= fold <= iemocap.NUM_SESSIONS:
    raise ValueError(f'data.fold must be a session in 1..{iemocap.NUM_SESSIONS}, got {fold}.')
  sessions = np.array([iemocap.session_of(uid) or 0 for uid in ids[rows]])
  if not sessions.all():
    uid = ids[rows][np.argmin(sessions.astype(bool))]
    raise ValueError(f"data.split 'loso' needs IEMOCAP utterance ids ('Ses01F_impro01_M000'), "
                     f'got {uid!r}.')
  return _with_validation(rows[sessions != fold], rows[sessions == fold], dialogues, share)


def split_rows(kind: str, rows: np.ndarray, release_splits: np.ndarray, ids: np.ndarray,
               dialogues: np.ndarray, *, fold: int, share: float) -> dict[str, np.ndarray]:
  """The rows (among ``rows``) of train, validation and test under ``data.split``."""
  if kind == 'release':
    return release_rows(rows, release_splits, dialogues, share)
  if kind == 'loso':
    return loso_rows(rows, ids, dialogues, fold, share)
  raise ValueError(f'Unknown data.split {kind!r}; choose one of: {", ".join(KINDS)}.')
