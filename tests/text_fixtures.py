"""Tiny utterance files and their text features, for the text-corpus and prediction tests."""

from __future__ import annotations

import csv
import pathlib

import numpy as np

from emorec.data import label_vectors
from emorec.data.real import lexical

EMOTIONS = ('happy', 'sad', 'angry')
SPLIT_SIZES = {'train': 48, 'validation': 12, 'test': 12}


def write_corpus(directory: pathlib.Path, *, dim: int = 384, seed: int = 0,
                 emotions: tuple[str, ...] = EMOTIONS) -> tuple[pathlib.Path, pathlib.Path]:
  """(utterances.csv with a split column, its features directory): each utterance's sentence
  embedding is its emotion's packaged word vector (first ``dim`` entries) plus noise."""
  rng = np.random.default_rng(seed)
  words = label_vectors.label_vectors(emotions)[:, :dim]
  rows, features = [], {}
  for split, size in SPLIT_SIZES.items():
    for i in range(size):
      k = i % len(emotions)
      uid = f'{split}-{i}'
      rows.append({'uid': uid, 'utterance': f'utterance {uid}', 'emotion': emotions[k],
                   'speaker': f's{i % 4}', 'split': split})
      features.setdefault(split, []).append((uid, words[k] + 0.3 * rng.normal(size=dim)))
  path = directory / 'utterances.csv'
  with open(path, 'w', newline='', encoding='utf-8') as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
  features_dir = directory / 'features'
  for split, items in features.items():
    ids = [uid for uid, _ in items]
    pooled = np.stack([v for _, v in items]).astype(np.float32)
    lexical.write(lexical.path(features_dir, split),
                  lexical.pack(ids, pooled, [v[None] for v in pooled], 'test', 4))
  return path, features_dir
