"""CMU-MultimodalSDK computational sequences (.csd, HDF5) and their alignment to segments.

Layout: one top-level group ``/<root>`` holding ``data/<video_id>/features`` [T, D] and
``data/<video_id>/intervals`` [T, 2] (start and end, in seconds) and ``metadata/*``. A labels
sequence has one row per labelled segment (utterance); a feature sequence's frames belong to
a segment when their interval overlaps the segment's.

A file that is not HDF5, a dataset of strings or stored outside the file (links, external or
virtual storage) is refused; each dataset's declared size is checked before it is read
(``emorec.data.limits``: uncompressed data must fit in the file, and no dataset may exceed the
cap). ``bad_intervals`` finds the frames whose intervals are not sane.
"""

from __future__ import annotations

import os
import pathlib
from typing import Iterator

import h5py
import numpy as np

from emorec.data import limits

_LAYOUT = 'the CMU-MultimodalSDK layout /<root>/data/<video_id>/{features [T, D], intervals [T, 2]}'


class ComputationalSequence:
  """An open .csd file; use as a context manager. ``sequence[video_id]`` -> (features,
  intervals), both as the file stores them (numbers, checked)."""

  def __init__(self, path: str | pathlib.Path, max_array_bytes: int | None = None):
    self.path = str(path)
    self._cap = max_array_bytes
    if not pathlib.Path(path).is_file():
      raise FileNotFoundError(f'{path}: no such file, expected a computational sequence in '
                              f'{_LAYOUT}.')
    if not h5py.is_hdf5(path):
      raise ValueError(f'{path}: not an HDF5 file, expected a computational sequence in '
                       f'{_LAYOUT}.')
    self._size = os.path.getsize(path)
    try:
      self._file = h5py.File(path, 'r')
    except OSError as error:
      raise ValueError(f'{path}: unreadable HDF5 ({error}), expected a computational sequence '
                       f'in {_LAYOUT}.') from error
    roots = list(self._file.keys())
    data = self._file[roots[0]].get('data') if len(roots) == 1 else None
    if not isinstance(data, h5py.Group):
      self._file.close()
      raise ValueError(f'{path}: top-level groups {roots}, expected one root group with '
                       f'data/ in {_LAYOUT}.')
    self.root = roots[0]
    self._data = data

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
    where = f'/{self.root}/data/{video_id}'
    if not isinstance(group, h5py.Group):
      raise ValueError(f'{self.path}: {where} is a {type(group).__name__}, expected a group '
                       f'in {_LAYOUT}.')
    missing = [key for key in ('features', 'intervals') if key not in group]
    if missing:
      raise ValueError(f'{self.path}: {where} lacks {missing}, expected {_LAYOUT}.')
    features, intervals = (self._read(group, f'{where}/{key}', key)
                           for key in ('features', 'intervals'))
    if (intervals.ndim != 2 or intervals.shape[1] != 2 or features.ndim != 2
        or features.shape[0] != intervals.shape[0]):
      raise ValueError(f'{self.path}: {where}: features {list(features.shape)} and intervals '
                       f'{list(intervals.shape)}, expected [T, D] and [T, 2].')
    return features, intervals

  def _read(self, group: h5py.Group, where: str, key: str) -> np.ndarray:
    """A numeric dataset stored in this file, its size checked before it is read."""
    link = group.get(key, getlink=True)
    dataset = group[key] if isinstance(link, h5py.HardLink) else link
    if not isinstance(dataset, h5py.Dataset):
      raise ValueError(f'{self.path}: {where} is a {type(dataset).__name__}, expected a '
                       'dataset stored in this file.')
    if dataset.is_virtual or dataset.external:
      raise ValueError(f'{self.path}: {where} has its data in other files (virtual or external '
                       'storage), expected data stored in this file.')
    if dataset.dtype.kind not in 'biuf':
      raise ValueError(f'{self.path}: {where} holds {dataset.dtype} values, expected numbers '
                       f'in {_LAYOUT}.')
    compressed = dataset.id.get_create_plist().get_nfilters() > 0
    limits.check_declared(self.path, f'{where} of shape {list(dataset.shape)} and dtype '
                          f'{dataset.dtype}', limits.array_bytes(dataset.shape,
                                                                 dataset.dtype.itemsize),
                          available=None if compressed else self._size,
                          max_array_bytes=self._cap)
    try:
      return dataset[()]
    except OSError as error:
      raise ValueError(f'{self.path}: {where} is unreadable ({error}).') from error


def bad_intervals(intervals: np.ndarray, *, ordered: bool) -> np.ndarray:
  """Mask of the rows of intervals [T, 2] that are not sane: a start or end that is not
  finite, an end before the start, or (when ``ordered``, as frames are) a start before the
  previous row's."""
  bad = ~np.isfinite(intervals).all(axis=1) | (intervals[:, 0] > intervals[:, 1])
  if ordered and len(intervals) > 1:
    bad[1:] |= intervals[1:, 0] < intervals[:-1, 0]
  return bad


def interval_problem(intervals: np.ndarray, row: int) -> str:
  """What is wrong with row ``row`` of intervals [T, 2] that ``bad_intervals`` flagged."""
  start, end = intervals[row].tolist()
  if not np.isfinite(intervals[row]).all():
    return f'interval {row} is {[start, end]}, expected finite start and end times'
  if start > end:
    return f'interval {row} is {[start, end]}, expected start <= end'
  return (f'interval {row} starts at {start}, before interval {row - 1} '
          f'({intervals[row - 1, 0].item()}), expected non-decreasing starts')


def overlapping(features: np.ndarray, intervals: np.ndarray, start: float,
                end: float) -> np.ndarray:
  """The frames [t, D] whose interval overlaps the segment [start, end)."""
  return features[(intervals[:, 0] < end) & (intervals[:, 1] > start)]
