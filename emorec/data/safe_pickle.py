"""Loads pickles that may only hold numpy arrays and plain containers: pickles are code.

Unpickling calls whatever global a pickle names, so a pickle from the internet can run
anything. ``load`` admits the numpy globals that rebuild arrays, dtypes and scalars and the
builtin containers; any other global stops the load with an ``UnsafePickleError`` naming the
file and the refused ``module.name``, before anything is called. Python 2 pickles (the
conv-emotion releases) load with the default ``encoding='latin1'``, which numpy requires for
their arrays.
"""

from __future__ import annotations

import codecs
import collections
import os
import pickle
from typing import Any, Callable

import numpy as np

_LATIN1 = ('latin1', 'latin-1', 'iso-8859-1')


def _latin1_encode(text: str, encoding: str) -> bytes:
  """``_codecs.encode`` as pickles of bytes use it (protocols < 3), restricted to latin-1."""
  if encoding.lower() not in _LATIN1:
    raise pickle.UnpicklingError(f'_codecs.encode with encoding {encoding!r} is not allowed.')
  return codecs.encode(text, 'latin1')


def _allowed_globals() -> dict[tuple[str, str], Callable[..., Any]]:
  """(module, name) -> the object it may resolve to. numpy 1 and 2 module paths both map to
  numpy 2's objects, so ``numpy.core`` (deprecated) is never imported."""
  # pylint: disable=protected-access
  reconstruct, frombuffer = np._core.multiarray._reconstruct, np._core.numeric._frombuffer
  scalar = np._core.multiarray.scalar
  # pylint: enable=protected-access
  allowed = {('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype,
             ('_codecs', 'encode'): _latin1_encode,
             ('collections', 'OrderedDict'): collections.OrderedDict,
             ('collections', 'defaultdict'): collections.defaultdict}
  for package in ('numpy.core', 'numpy._core'):
    allowed[(f'{package}.multiarray', '_reconstruct')] = reconstruct
    allowed[(f'{package}.multiarray', 'scalar')] = scalar
    allowed[(f'{package}.numeric', '_frombuffer')] = frombuffer
  for builtins in ('builtins', '__builtin__'):
    for kind in (set, frozenset, list, dict, tuple, bytearray, bytes, str, int, float, complex,
                 bool):
      allowed[(builtins, kind.__name__)] = kind
  return allowed


_ALLOWED = _allowed_globals()


class UnsafePickleError(pickle.UnpicklingError):
  """A pickle names a global outside the allowed numpy and container ones."""


class _RestrictedUnpickler(pickle.Unpickler):

  def __init__(self, file: Any, path: str, encoding: str):
    super().__init__(file, encoding=encoding)
    self._path = path

  def find_class(self, module: str, name: str) -> Any:
    if (module, name) not in _ALLOWED:
      raise UnsafePickleError(
          f'{self._path}: refused to load {module}.{name}; a pickle may only hold numpy arrays '
          'and plain containers (dict, list, tuple, set, str, bytes, numbers).')
    return _ALLOWED[(module, name)]


def load(path: str | os.PathLike[str], *, encoding: str = 'latin1') -> Any:
  """The object pickled in ``path``, refusing any global but numpy's and the containers'."""
  with open(path, 'rb') as file:
    try:
      return _RestrictedUnpickler(file, os.fspath(path), encoding).load()
    except UnsafePickleError:
      raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
      raise pickle.UnpicklingError(
          f'{os.fspath(path)}: not a readable pickle ({error}).') from error
