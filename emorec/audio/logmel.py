"""Log-mel spectrogram frames in numpy: a Hann-windowed STFT, a triangular mel filter bank, log.

Frames are ``window`` seconds long every ``hop`` seconds (no padding: a frame starts at every
hop that fits), the FFT size is the next power of two of the window, and the filters are
triangles equally spaced on the HTK mel scale (2595 log10(1 + f / 700)) between ``fmin`` and
``fmax`` (default: half the sample rate), each normalised to unit area. Values are
log(power + 1e-10).
"""

from __future__ import annotations

import dataclasses

import numpy as np

_FLOOR = 1e-10
# Bumped whenever the frames this module computes change (stored as the extractor's version).
VERSION = '1'


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
  return 2595.0 * np.log10(1.0 + np.asarray(hz, np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
  return 700.0 * (10.0 ** (np.asarray(mel, np.float64) / 2595.0) - 1.0)


@dataclasses.dataclass(frozen=True)
class LogMelSpec:
  """Frame and filter-bank settings (seconds and Hz); ``fmax`` 0 means half the sample rate."""

  num_mels: int = 40
  window: float = 0.025
  hop: float = 0.010
  fmin: float = 20.0
  fmax: float = 0.0

  def frame_sizes(self, sample_rate: int) -> tuple[int, int, int]:
    """(window, hop, FFT size) in samples."""
    window = int(round(self.window * sample_rate))
    hop = int(round(self.hop * sample_rate))
    return window, hop, 1 << (window - 1).bit_length()


def mel_filters(spec: LogMelSpec, sample_rate: int) -> np.ndarray:
  """[num_bins, num_mels] triangular filters of unit area over the FFT bins."""
  _, _, fft_size = spec.frame_sizes(sample_rate)
  fmax = spec.fmax or sample_rate / 2
  if not 0 <= spec.fmin < fmax <= sample_rate / 2:
    raise ValueError(f'Mel band [{spec.fmin}, {fmax}] Hz must lie in [0, {sample_rate / 2}].')
  edges = mel_to_hz(np.linspace(hz_to_mel(spec.fmin), hz_to_mel(fmax), spec.num_mels + 2))
  bins = np.fft.rfftfreq(fft_size, 1.0 / sample_rate)
  low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
  rising = (bins - low) / (centre - low)
  falling = (high - bins) / (high - centre)
  triangles = np.maximum(0.0, np.minimum(rising, falling))
  return (triangles * (2.0 / (high - low))).T.astype(np.float32)


def log_mel(samples: np.ndarray, sample_rate: int, spec: LogMelSpec = LogMelSpec()) -> np.ndarray:
  """[T, num_mels] float32 log-mel frames of mono ``samples`` [N] (at least one window long)."""
  window, hop, fft_size = spec.frame_sizes(sample_rate)
  if samples.shape[0] < window:
    raise ValueError(f'{samples.shape[0]} samples are shorter than one {window}-sample window.')
  count = 1 + (samples.shape[0] - window) // hop
  starts = hop * np.arange(count)[:, None]
  frames = samples.astype(np.float64)[starts + np.arange(window)] * np.hanning(window + 2)[1:-1]
  power = np.abs(np.fft.rfft(frames, n=fft_size, axis=-1)) ** 2
  return np.log(power @ mel_filters(spec, sample_rate) + _FLOOR).astype(np.float32)
