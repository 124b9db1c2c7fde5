"""Reading and screening WAV files: mono samples in [-1, 1] at the expected rate, or a clear error.

A bad file raises `BadAudio`, whose message names the file and what was expected and whose
``reason`` (one of REASONS) lets a caller that skips bad files count them by kind.
"""

from __future__ import annotations

import os
import struct
import warnings

import numpy as np
from scipy.io import wavfile

REASONS = ('unreadable', 'empty', 'not_wav', 'channels', 'sample_rate', 'no_samples',
           'non_finite', 'silent')
# Full scale of each integer PCM sample type (8-bit WAV is unsigned, centred on 128).
_FULL_SCALE = {np.dtype(np.uint8): 128.0, np.dtype(np.int16): 32768.0,
               np.dtype(np.int32): 2147483648.0}


class BadAudio(ValueError):
  """A WAV file that cannot be used; ``reason`` is one of REASONS, ``path`` the file."""

  def __init__(self, path: str, reason: str, problem: str):
    if reason not in REASONS:
      raise ValueError(f'Unknown reason {reason!r}; known: {REASONS}.')
    super().__init__(f'{path}: {problem}.')
    self.path = path
    self.reason = reason
    self.problem = problem

  def __reduce__(self):
    return BadAudio, (self.path, self.reason, self.problem)


def _header(path: str) -> bytes:
  try:
    with open(path, 'rb') as f:
      return f.read(12)
  except OSError as error:
    raise BadAudio(path, 'unreadable', f'cannot be read ({error.strerror or error})') from error


def to_float(samples: np.ndarray) -> np.ndarray:
  """Integer PCM or float samples as float32 in [-1, 1]."""
  if samples.dtype.kind == 'f':
    return samples.astype(np.float32)
  scale = _FULL_SCALE.get(samples.dtype)
  if scale is None:
    raise TypeError(f'Unsupported sample type {samples.dtype}.')
  offset = 128.0 if samples.dtype == np.uint8 else 0.0
  return ((samples.astype(np.float64) - offset) / scale).astype(np.float32)


def read_wav(path: str, sample_rate: int | None = None, *,
             silence_threshold: float = 1e-4) -> tuple[np.ndarray, int]:
  """The mono float32 samples [N] of a WAV file and its sample rate.

  Raises `BadAudio` when the file cannot be read, is empty or not a RIFF/WAVE file, has more
  than one channel, another rate than ``sample_rate`` (None accepts any), no samples, NaN or
  inf samples, or a peak amplitude at or below ``silence_threshold`` (silent).
  """
  path = os.fspath(path)
  header = _header(path)
  if not header:
    raise BadAudio(path, 'empty', 'is an empty file (0 bytes), expected a WAV file')
  if header[:4] != b'RIFF' or header[8:12] != b'WAVE':
    raise BadAudio(path, 'not_wav', 'is not a WAV file (no RIFF/WAVE header)')
  try:
    with warnings.catch_warnings():
      # Unknown chunks (e.g. LIST metadata) are skipped by scipy with a warning.
      warnings.simplefilter('ignore', wavfile.WavFileWarning)
      rate, samples = wavfile.read(path)
  except (ValueError, OSError, EOFError, struct.error) as error:
    raise BadAudio(path, 'unreadable', f'is not a readable WAV file ({error})') from error
  if samples.ndim == 2 and samples.shape[1] != 1:
    raise BadAudio(path, 'channels', f'has {samples.shape[1]} channels, expected mono')
  if sample_rate is not None and rate != sample_rate:
    raise BadAudio(path, 'sample_rate', f'has a sample rate of {rate} Hz, expected '
                   f'{sample_rate} Hz (resample the corpus first)')
  samples = to_float(samples.reshape(-1))
  if samples.size == 0:
    raise BadAudio(path, 'no_samples', 'holds no samples, expected at least one')
  finite = np.isfinite(samples)
  if not finite.all():
    raise BadAudio(path, 'non_finite', f'holds {int((~finite).sum())} NaN/inf samples (first '
                   f'at sample {int(np.argmin(finite))}), expected finite samples')
  peak = float(np.abs(samples).max())
  if peak <= silence_threshold:
    raise BadAudio(path, 'silent', f'is silent (peak amplitude {peak:.3g}), expected a peak '
                   f'above {silence_threshold:g}')
  return samples, int(rate)
