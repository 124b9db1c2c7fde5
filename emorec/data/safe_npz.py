"""Loads .npz archives that may only hold plain arrays: no pickles, no forged sizes.

An .npz is a zip of .npy files. An object array inside one is a pickle, which can run code:
it is refused, whatever the archive says. Each requested array's .npy header is read first
and its declared size checked (``emorec.data.limits``) against the member's uncompressed size
and the cap, before any of it is allocated. Members that are not requested are never read.
"""

from __future__ import annotations

import os
import zipfile
from typing import Sequence

import numpy as np

from emorec.data import limits

_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0}


def _checked_header(name: str, key: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                    max_array_bytes: int | None) -> None:
  """Refuses a member that is not a plain .npy array or declares more than it may."""
  with archive.open(info) as member:
    try:
      version = np.lib.format.read_magic(member)
      if version not in _HEADERS:
        raise ValueError(f'.npy format version {version}, expected one of {sorted(_HEADERS)}')
      shape, _, dtype = _HEADERS[version](member)
    except ValueError as error:
      raise ValueError(f'{name}: member {info.filename!r} is not a readable .npy array '
                       f'({error}).') from error
    header = member.tell()
  if dtype.hasobject:
    raise ValueError(f'{name}: array {key!r} holds Python objects (dtype {dtype}), which an '
                     '.npz stores as a pickle that can run code; refused as unsafe, expected '
                     'arrays of numbers or unicode strings.')
  limits.check_declared(name, f'array {key!r} of shape {list(shape)} and dtype {dtype}',
                        limits.array_bytes(shape, dtype.itemsize),
                        available=info.file_size - header, max_array_bytes=max_array_bytes)


def load(path: str | os.PathLike[str], keys: Sequence[str], *,
         max_array_bytes: int | None = None) -> dict[str, np.ndarray]:
  """The arrays ``keys`` of the archive at ``path`` that it holds (missing keys are left out).

  Raises a ValueError naming the file when it is not a zip archive, when a requested array is
  an object array or not a .npy file, or when its data are unreadable; a DeclaredSizeError
  when an array declares more than the member holds or ``max_array_bytes`` (None:
  ``limits.MAX_ARRAY_BYTES``).
  """
  name = os.fspath(path)
  if not zipfile.is_zipfile(path):
    raise ValueError(f'{name}: not a zip archive, expected an .npz archive of numpy arrays '
                     '(numpy.savez).')
  arrays = {}
  try:
    with zipfile.ZipFile(path) as archive:
      members = {info.filename[:-len('.npy')]: info for info in archive.infolist()
                 if info.filename.endswith('.npy')}
      for key in (k for k in keys if k in members):
        _checked_header(name, key, archive, members[key], max_array_bytes)
        with archive.open(members[key]) as member:
          try:
            arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
          except ValueError as error:
            raise ValueError(f'{name}: array {key!r} is unreadable ({error}).') from error
  except (zipfile.BadZipFile, EOFError, OSError) as error:
    raise ValueError(f'{name}: not a readable .npz archive ({type(error).__name__}: '
                     f'{error}).') from error
  return arrays
