"""WAV files for the audio tests: generated tones, and where the real EmoDB copy lies."""

from __future__ import annotations

import pathlib

import numpy as np
from scipy.io import wavfile


def emodb_dir() -> pathlib.Path:
  """``shared/data/emodb`` beside the repository (or beside a folder above it)."""
  for parent in pathlib.Path(__file__).resolve().parents:
    candidate = parent / 'shared' / 'data' / 'emodb'
    if (candidate / 'labels.csv').is_file():
      return candidate
  raise FileNotFoundError('No shared/data/emodb beside the repository or above it: the audio '
                          'tests read a few of its files.')


def tone(frequency: float, seconds: float = 1.0, sample_rate: int = 16000,
         amplitude: float = 0.5) -> np.ndarray:
  """A sine tone as int16 samples."""
  t = np.arange(int(seconds * sample_rate)) / sample_rate
  return (amplitude * 32767 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def write_wav(path: pathlib.Path, samples: np.ndarray, sample_rate: int = 16000) -> str:
  path.parent.mkdir(parents=True, exist_ok=True)
  wavfile.write(path, sample_rate, samples)
  return str(path)
