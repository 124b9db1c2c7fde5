"""Loads pickles that may only hold numpy arrays and plain containers: pickles are code.

Unpickling calls whatever global a pickle names, so a pickle from the internet can run
anything. ``load`` admits the numpy globals that rebuild arrays, dtypes and scalars and the
builtin containers; any other global stops the load with an ``UnsafePickleError`` naming the
file and the refused ``module.name``, before anything is called. Python 2 pickles (the
conv-emotion releases) load with the default ``encoding='latin1'``, which numpy requires for
their arrays.

Sizes are checked before anything is allocated (``emorec.data.limits``): a length a pickle
declares for a string or frame must fit in the rest of the file, and an array's shape (or a
``bytes(n)`` call) may not ask for more than the file holds or the cap ``max_array_bytes``
allows; an object array must hold as many elements as its shape declares. The pure-Python
unpickler runs, since it lets these checks sit between reading a header and allocating; it
builds nested data without recursion.
"""

from __future__ import annotations

import codecs
import collections
import os
import pickle
from typing import Any, BinaryIO, Callable

import numpy as np

from emorec.data import limits

_LATIN1 = ('latin1', 'latin-1', 'iso-8859-1')
# pylint: disable=protected-access
_RECONSTRUCT, _FROMBUFFER = np._core.multiarray._reconstruct, np._core.numeric._frombuffer
_SCALAR = np._core.multiarray.scalar
# The pure-Python unpickler: its opcode table can be extended, the C one's cannot.
_PyUnpickler = pickle._Unpickler
# pylint: enable=protected-access


class UnsafePickleError(pickle.UnpicklingError):
  """A pickle names a global outside the allowed numpy and container ones."""


def _latin1_encode(text: str, encoding: str) -> bytes:
  """``_codecs.encode`` as pickles of bytes use it (protocols < 3), restricted to latin-1."""
  if encoding.lower() not in _LATIN1:
    raise pickle.UnpicklingError(f'_codecs.encode with encoding {encoding!r} is not allowed.')
  return codecs.encode(text, 'latin1')


class _NdarrayName:
  """What ``numpy.ndarray`` resolves to: the type argument of ``_reconstruct``, never called
  (a pickle calling it would allocate an array of any shape)."""

  def __init__(self, path: str):
    self._path = path

  def __call__(self, *args: Any) -> None:
    raise UnsafePickleError(f'{self._path}: refused to call numpy.ndarray, which may only name '
                            'the type of a pickled array.')


def _plain_globals() -> dict[tuple[str, str], Any]:
  """(module, name) -> the object it resolves to, for globals that allocate nothing by
  themselves. numpy 1 and 2 module paths map to numpy 2's objects, so ``numpy.core``
  (deprecated) is never imported."""
  allowed = {('numpy', 'dtype'): np.dtype,
             ('_codecs', 'encode'): _latin1_encode,
             ('collections', 'OrderedDict'): collections.OrderedDict,
             ('collections', 'defaultdict'): collections.defaultdict}
  for package in ('numpy.core', 'numpy._core'):
    allowed[(f'{package}.numeric', '_frombuffer')] = _FROMBUFFER
  for builtins in ('builtins', '__builtin__'):
    for kind in (set, frozenset, list, dict, tuple, str, int, float, complex, bool):
      allowed[(builtins, kind.__name__)] = kind
  return allowed


_PLAIN = _plain_globals()
# Globals whose call allocates what its arguments declare: resolved per file (_Sized).
_SIZED = {(package, name): name for package in ('numpy.core.multiarray', 'numpy._core.multiarray')
          for name in ('_reconstruct', 'scalar')}
_SIZED.update({(builtins, name): name for builtins in ('builtins', '__builtin__')
               for name in ('bytes', 'bytearray')})
_SIZED[('numpy', 'ndarray')] = 'ndarray'


class _Sized:
  """The allocating globals of one file, each checking the size it is asked for first."""

  def __init__(self, path: str, file_bytes: int, max_array_bytes: int | None):
    self._path, self._file_bytes, self._cap = path, file_bytes, max_array_bytes
    self._cap_bytes = limits.resolve(max_array_bytes)
    self.ndarray = _NdarrayName(path)

  def check(self, what: Callable[[], str], declared: int, *, stored: bool = True) -> None:
    """``declared`` bytes against the cap and, when they must be ``stored`` in the file, its
    size; ``what`` names the array (called only for an error)."""
    if declared > (min(self._file_bytes, self._cap_bytes) if stored else self._cap_bytes):
      limits.check_declared(self._path, what(), declared,
                            available=self._file_bytes if stored else None,
                            max_array_bytes=self._cap)

  def _reconstruct(self, subtype: Any, shape: tuple[int, ...], typecode: Any) -> np.ndarray:
    if subtype is not self.ndarray:
      raise UnsafePickleError(f'{self._path}: _reconstruct of {type(subtype).__name__}, '
                              'expected numpy.ndarray.')
    dtype = np.dtype(typecode)
    self.check(lambda: f'an array of shape {list(shape)} and dtype {dtype}',
               limits.array_bytes(shape, dtype.itemsize))
    return _RECONSTRUCT(np.ndarray, shape, typecode)

  def scalar(self, dtype: np.dtype, *args: Any) -> Any:
    self.check(lambda: f'a numpy scalar of dtype {dtype}', np.dtype(dtype).itemsize)
    return _SCALAR(dtype, *args)

  def _counted(self, kind: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    if args and isinstance(args[0], (int, np.integer)):
      self.check(lambda: f'{kind.__name__}({int(args[0])})', int(args[0]))
    return kind(*args)

  def bytes(self, *args: Any) -> bytes:
    return self._counted(bytes, args)

  def bytearray(self, *args: Any) -> bytearray:
    return self._counted(bytearray, args)

  def array_state(self, state: Any) -> None:
    """Checks the state an array is rebuilt from, (version,) shape, dtype, fortran, data."""
    if not isinstance(state, tuple) or len(state) not in (4, 5):
      return  # numpy refuses it.
    shape, dtype, data = state[-4], state[-3], state[-1]
    if not (isinstance(dtype, np.dtype) and isinstance(shape, tuple)
            and all(isinstance(n, int) for n in shape)):
      return
    count = limits.array_bytes(shape, 1)

    def what() -> str:
      return f'an array of shape {list(shape)} and dtype {dtype}'

    self.check(what, count * dtype.itemsize, stored=not dtype.hasobject)
    if dtype.hasobject and (not isinstance(data, list) or len(data) != count):
      held = f'{len(data)} elements' if isinstance(data, list) else type(data).__name__
      raise pickle.UnpicklingError(f'{self._path}: {what()} holds {held}, expected {count} '
                                   'elements.')


class _BoundedFile:
  """A binary file whose reads may not ask for more than what is left of it."""

  # Reads up to this size allocate nothing worth checking (opcodes, short strings).
  _SMALL = 1 << 16

  def __init__(self, file: BinaryIO, path: str):
    self._file, self._path = file, path
    self.size = os.fstat(file.fileno()).st_size
    self.readline = file.readline

  def read(self, count: int) -> bytes:
    if count > self._SMALL:
      position = self._file.tell()
      limits.check_stored(self._path, f'at byte {position}, the pickle', count,
                          self.size - position)
    return self._file.read(count)


class _RestrictedUnpickler(_PyUnpickler):

  def __init__(self, file: _BoundedFile, path: str, encoding: str,
               max_array_bytes: int | None):
    super().__init__(file, encoding=encoding)
    self._path = path
    self._sized = _Sized(path, file.size, max_array_bytes)

  def find_class(self, module: str, name: str) -> Any:
    if (module, name) in _SIZED:
      return getattr(self._sized, _SIZED[(module, name)])
    if (module, name) not in _PLAIN:
      raise UnsafePickleError(
          f'{self._path}: refused to load {module}.{name}; a pickle may only hold numpy arrays '
          'and plain containers (dict, list, tuple, set, str, bytes, numbers).')
    return _PLAIN[(module, name)]

  def load_build(self) -> None:
    if isinstance(self.stack[-2], np.ndarray):
      self._sized.array_state(self.stack[-1])
    _PyUnpickler.load_build(self)

  def load_bytearray8(self) -> None:
    count = int.from_bytes(self.read(8), 'little')
    self.append(bytearray(self.read(count)))

  dispatch = {**_PyUnpickler.dispatch, pickle.BUILD[0]: load_build,
              pickle.BYTEARRAY8[0]: load_bytearray8}


def load(path: str | os.PathLike[str], *, encoding: str = 'latin1',
         max_array_bytes: int | None = None) -> Any:
  """The object pickled in ``path``, refusing any global but numpy's and the containers',
  and any array or string larger than the file or ``max_array_bytes`` (None:
  ``limits.MAX_ARRAY_BYTES``)."""
  name = os.fspath(path)
  with open(path, 'rb') as file:
    try:
      return _RestrictedUnpickler(_BoundedFile(file, name), name, encoding,
                                  max_array_bytes).load()
    except (UnsafePickleError, limits.DeclaredSizeError, MemoryError):
      raise
    except EOFError:
      raise pickle.UnpicklingError(f'{name}: ends in the middle of the pickle, expected a '
                                   'complete pickle: the file is truncated.') from None
    except Exception as error:  # pylint: disable=broad-except
      # A malformed pickle fails in any of the unpickler's steps (EOFError, KeyError, ...).
      raise pickle.UnpicklingError(
          f'{name}: not a readable pickle ({type(error).__name__}: {error}).') from error
