"""The size an array may declare in a data file, checked before anything is allocated.

A file's header states how large its arrays are (a pickled array's shape and dtype, an HDF5
dataset's shape, an .npz member's .npy header); a forged header can ask for terabytes from a
file of a few kilobytes. Readers call ``check_declared`` with the declared size before they
allocate: it refuses an array larger than what the file can hold (its data must be stored in
it) or larger than the cap, ``data.max_array_bytes`` in the configs, whose default is
``MAX_ARRAY_BYTES``.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

# 4 GiB: twice the largest array of the supported releases (the unaligned MulT CMU-MOSEI audio,
# about 2.4 GB), far below what a forged header asks for.
MAX_ARRAY_BYTES = 4 << 30
OPTION = 'data.max_array_bytes'


class DeclaredSizeError(ValueError):
  """A file declares an array larger than the file can hold or the cap allows."""


def human(size: int) -> str:
  """'12,884,901,888 bytes (12.0 GiB)'."""
  scaled = next((f'{size / (1 << shift):.1f} {unit}' for shift, unit in
                 ((40, 'TiB'), (30, 'GiB'), (20, 'MiB'), (10, 'KiB')) if size >= 1 << shift),
                f'{size} B')
  return f'{size:,} bytes ({scaled})'


def array_bytes(shape: Sequence[int], itemsize: int) -> int:
  """Bytes of an array of ``shape`` and ``itemsize``, in exact integers (no overflow)."""
  return math.prod(map(int, shape)) * int(itemsize)


def resolve(max_array_bytes: int | None) -> int:
  """The cap in force: ``max_array_bytes``, or the module default when it is None."""
  cap = MAX_ARRAY_BYTES if max_array_bytes is None else int(max_array_bytes)
  if cap <= 0:
    raise ValueError(f'{OPTION} must be a positive number of bytes, got {max_array_bytes}.')
  return cap


def check_stored(path: str | os.PathLike[str], what: str, declared: int,
                 available: int) -> None:
  """Raises a DeclaredSizeError naming ``path`` and ``what`` when ``declared`` bytes, which
  must be stored in the file, exceed the ``available`` bytes that can hold them."""
  if declared > available:
    raise DeclaredSizeError(
        f'{os.fspath(path)}: {what} declares {human(declared)}, more than the '
        f'{human(available)} that can hold it, expected data stored in the file: it is '
        'truncated or forged.')


def check_declared(path: str | os.PathLike[str], what: str, declared: int, *,
                   available: int | None, max_array_bytes: int | None) -> None:
  """Raises a DeclaredSizeError naming ``path`` and ``what`` when ``declared`` bytes exceed the
  ``available`` bytes that can hold them (None: the data may be compressed) or the cap."""
  if available is not None:
    check_stored(path, what, declared, available)
  cap = resolve(max_array_bytes)
  if declared > cap:
    raise DeclaredSizeError(
        f'{os.fspath(path)}: {what} declares {human(declared)}, above the cap of {human(cap)}; '
        f'if the file is trusted and the memory is there, raise {OPTION} (default '
        'emorec.data.limits.MAX_ARRAY_BYTES).')
