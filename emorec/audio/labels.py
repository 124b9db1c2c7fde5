"""The labels CSV of an audio folder: one row per WAV file, with configurable column names."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Columns:
  """Column names: the WAV path (relative to the audio folder), the speaker, the emotion and
  the split (train | validation | test) of each row; '' for a column not read."""

  file: str = 'file'
  speaker: str = 'speaker'
  emotion: str = 'emotion'
  split: str = ''


@dataclasses.dataclass(frozen=True)
class Labels:
  """str arrays [N], in the CSV's row order; None for a column not read."""

  files: np.ndarray
  speakers: np.ndarray | None
  emotions: np.ndarray | None
  splits: np.ndarray | None


SPLIT_NAMES = ('train', 'validation', 'test')


def read_labels(path: str, columns: Columns = Columns()) -> Labels:
  """The rows of a labels CSV, checked: the columns exist, values are set, files are unique."""
  try:
    with open(path, newline='', encoding='utf-8') as f:
      reader = csv.DictReader(f)
      header = reader.fieldnames or []
      rows = list(reader)
  except OSError as error:
    raise ValueError(f'{path}: cannot read the labels CSV ({error.strerror or error}).') from error
  if not columns.file:
    raise ValueError('The file column must be named.')
  wanted = {field: name for field, name in dataclasses.asdict(columns).items() if name}
  missing = [f'{field} column {name!r}' for field, name in wanted.items() if name not in header]
  if missing:
    raise ValueError(f'{path}: no {", ".join(missing)}; the header has {header}.')
  if not rows:
    raise ValueError(f'{path}: the labels CSV has no rows.')
  values = {field: [] for field in wanted}
  for line, row in enumerate(rows, start=2):
    for field, name in wanted.items():
      value = (row.get(name) or '').strip()
      if not value:
        raise ValueError(f'{path}, line {line}: column {name!r} is empty.')
      if field == 'split' and value not in SPLIT_NAMES:
        raise ValueError(f'{path}, line {line}: split {value!r} is none of {SPLIT_NAMES}.')
      values[field].append(value)
  files, counts = np.unique(values['file'], return_counts=True)
  if (counts > 1).any():
    raise ValueError(f'{path}: file {files[counts > 1][0]!r} is listed more than once.')
  arrays = {field: np.array(column) for field, column in values.items()}
  return Labels(files=arrays['file'], speakers=arrays.get('speaker'),
                emotions=arrays.get('emotion'), splits=arrays.get('split'))
