"""Pickles are code: only numpy arrays and plain containers load, anything else is refused."""

import builtins
import collections
import os
import pickle
import re
import struct

import numpy as np
import pytest

from emorec.data import safe_pickle


class _Shell:
  """Unpickling this runs a shell command that creates a marker file."""

  def __init__(self, marker):
    self.marker = marker

  def __reduce__(self):
    return os.system, (f'touch {self.marker}',)


class _Exec:
  """Unpickling this runs Python code through builtins.exec."""

  def __init__(self, marker):
    self.marker = marker

  def __reduce__(self):
    return builtins.exec, (f'open({str(self.marker)!r}, "w").close()',)


def _py2_pickle() -> bytes:
  """What Python 2 wrote for {'x': numpy.array([1.0, 2.0]), 'speaker': 'M'} (protocol 2):
  str as SHORT_BINSTRING, arrays through numpy.core.multiarray._reconstruct."""
  def string(text: bytes) -> bytes:
    return b'U' + bytes([len(text)]) + text

  dtype = (b'cnumpy\ndtype\n' + string(b'f8') + b'K\x00K\x01\x87R(K\x03' + string(b'<')
           + b'NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb')
  array = (b'cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85' + string(b'b')
           + b'\x87R(K\x01K\x02\x85' + dtype + b'\x89' + string(struct.pack('<2d', 1.0, 2.0))
           + b'tb')
  return (b'\x80\x02}(' + string(b'x') + array + string(b'speaker') + string(b'M') + b'u.')


@pytest.mark.parametrize('protocol', [0, 2, pickle.HIGHEST_PROTOCOL])
def test_arrays_and_containers_load(tmp_path, protocol):
  value = {'features': np.arange(6, dtype=np.float32).reshape(2, 3), 'ids': ['a', 'b'],
           'splits': {'x', 'y'}, 'frozen': frozenset({1}), 'pair': (1, 2.5, None, True),
           'raw': b'\x00\xff', 'scalar': np.float64(1.5), 'strings': np.array(['u', 'v']),
           'ordered': collections.OrderedDict(a=1), 'lists': collections.defaultdict(list)}
  path = tmp_path / 'ok.pkl'
  path.write_bytes(pickle.dumps(value, protocol=protocol))
  loaded = safe_pickle.load(path)
  assert loaded.keys() == value.keys()
  np.testing.assert_array_equal(loaded['features'], value['features'])
  np.testing.assert_array_equal(loaded['strings'], value['strings'])
  assert loaded['splits'] == {'x', 'y'} and loaded['raw'] == b'\x00\xff'
  assert loaded['scalar'] == 1.5 and loaded['ordered'] == {'a': 1}


def test_python2_pickles_load_as_latin1(tmp_path):
  path = tmp_path / 'py2.pkl'
  path.write_bytes(_py2_pickle())
  loaded = safe_pickle.load(path)
  np.testing.assert_array_equal(loaded['x'], [1.0, 2.0])
  assert loaded['speaker'] == 'M'


@pytest.mark.parametrize('payload, refused', [(_Shell, r'(posix|os|nt)\.system'),
                                              (_Exec, r'(__builtin__|builtins)\.exec')])
def test_malicious_pickles_are_refused_before_running(tmp_path, payload, refused):
  marker = tmp_path / 'pwned'
  path = tmp_path / 'evil.pkl'
  path.write_bytes(pickle.dumps({'features': payload(marker)}, protocol=2))
  expected = f'{re.escape(str(path))}: refused to load {refused}'
  with pytest.raises(safe_pickle.UnsafePickleError, match=expected):
    safe_pickle.load(path)
  assert not marker.exists()


def test_codecs_encode_is_limited_to_latin1(tmp_path):
  path = tmp_path / 'codec.pkl'
  path.write_bytes(b'\x80\x02c_codecs\nencode\nX\x02\x00\x00\x00aaX\x0a\x00\x00\x00zlib_codec'
                   b'\x86R.')
  expected = f"{re.escape(str(path))}: .*'zlib_codec' is not allowed"
  with pytest.raises(pickle.UnpicklingError, match=expected):
    safe_pickle.load(path)


def test_garbage_is_an_error_naming_the_file(tmp_path):
  path = tmp_path / 'garbage.pkl'
  path.write_bytes(b'not a pickle')
  expected = f'{re.escape(str(path))}: not a readable pickle'
  with pytest.raises(pickle.UnpicklingError, match=expected):
    safe_pickle.load(path)
