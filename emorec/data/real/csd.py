"""CMU-MultimodalSDK computational sequences (.csd, HDF5) and their alignment to segments.

Layout: one top-level group ``/<root>`` holding ``data/<video_id>/features`` [T, D] and
``data/<video_id>/intervals`` [T, 2] (start and end, in seconds) and ``metadata/*``. A labels
sequence has one row per labelled segment (utterance); a feature sequence's frames belong to
a segment when their interval overlaps the segment's.
"""

from __future__ import annotations

import pathlib
from typing import Iterator

import h5py
import numpy as np

_LAYOUT = 'the CMU-MultimodalSDK layout /<root>/data/<video_id>/{features [T, D], intervals [T, 2]}'


class ComputationalSequence:
  """An open .csd file; use as a context manager. ``sequence[video_id]`` -> (features,
  intervals)."""

  def __init__(self, path: str | pathlib.Path):
    self.path = str(path)
    if not pathlib.Path(path).is_file():
      raise FileNotFoundError(f'{path}: no such file, expected a computational sequence in '
                              f'{_LAYOUT}.')
    self._file = h5py.File(path, 'r')
    roots = list(self._file.keys())
    if len(roots) != 1 or 'data' not in self._file[roots[0]]:
      self._file.close()
      raise ValueError(f'{path}: top-level groups {roots}, expected one root group with '
                       f'data/ in {_LAYOUT}.')
    self.root = roots[0]
    self._data = self._file[self.root]['data']

  def __enter__(self) -> 'ComputationalSequence':
    return self

  def __exit__(self, *exc_info) -> None:
    self._file.close()

  def __contains__(self, video_id: str) -> bool:
    return video_id in self._data

  def video_ids(self) -> Iterator[str]:
    return iter(self._data.keys())

  def __getitem__(self, video_id: str) -> tuple[np.ndarray, np.ndarray]:
    group = self._data[video_id]
    where = f'{self.path}: /{self.root}/data/{video_id}'
    missing = [key for key in ('features', 'intervals') if key not in group]
    if missing:
      raise ValueError(f'{where} lacks {missing}, expected {_LAYOUT}.')
    features, intervals = group['features'][()], group['intervals'][()]
    if (intervals.ndim != 2 or intervals.shape[1] != 2 or features.ndim != 2
        or features.shape[0] != intervals.shape[0]):
      raise ValueError(f'{where}: features {list(features.shape)} and intervals '
                       f'{list(intervals.shape)}, expected [T, D] and [T, 2].')
    return features, intervals


def overlapping(features: np.ndarray, intervals: np.ndarray, start: float,
                end: float) -> np.ndarray:
  """The frames [t, D] whose interval overlaps the segment [start, end)."""
  return features[(intervals[:, 0] < end) & (intervals[:, 1] > start)]
