"""The acoustic feature sets, by name: openSMILE's eGeMAPS and ComParE, and log-mel frames.

Each `FeatureSet` turns mono samples into frames [T, D] (T = 1 for functionals) with their
column names and states its provenance: extractor, its version, settings and frame hop.

  egemaps_lld          eGeMAPSv02 low-level descriptors, 25 per 10 ms frame (openSMILE)
  egemaps_functionals  eGeMAPSv02 functionals, 88 per file
  compare_lld          ComParE_2016 low-level descriptors, 65 per 10 ms frame
  compare_functionals  ComParE_2016 functionals, 6373 per file
  logmel               40 log-mel bands, 25 ms windows every 10 ms (emorec.audio.logmel)

openSMILE comes from the PyPI package `opensmile` (the `audio` extra), imported when first used.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Mapping

import numpy as np

from emorec.audio import logmel

Extracted = tuple[np.ndarray, tuple[str, ...]]


@dataclasses.dataclass(frozen=True)
class FeatureSet:
  """One feature set.

  Attributes:
    name: the registry key.
    extractor: the tool ('opensmile' or 'emorec.logmel').
    settings: what determines the output besides the audio (feature set, level, frames).
    hop: seconds between frames; 0 for one frame per file (functionals).
    extract: (samples [N], sample rate) -> (float32 frames [T, D], D column names).
    version: () -> the extractor's version.
  """

  name: str
  extractor: str
  settings: Mapping[str, Any]
  hop: float
  extract: Callable[[np.ndarray, int], Extracted]
  version: Callable[[], str]


@functools.lru_cache(maxsize=None)
def _smile(feature_set: str, level: str) -> Any:
  """An openSMILE extractor, built once per process."""
  import opensmile  # pylint: disable=import-outside-toplevel
  return opensmile.Smile(feature_set=opensmile.FeatureSet[feature_set],
                         feature_level=opensmile.FeatureLevel[level])


def _opensmile_version() -> str:
  import opensmile  # pylint: disable=import-outside-toplevel
  return opensmile.__version__


def _opensmile_extract(feature_set: str, level: str, samples: np.ndarray,
                       sample_rate: int) -> Extracted:
  smile = _smile(feature_set, level)
  table = smile.process_signal(samples, sample_rate)
  return table.to_numpy(np.float32), tuple(smile.feature_names)


def _opensmile_set(name: str, feature_set: str, level: str) -> FeatureSet:
  lld = level == 'LowLevelDescriptors'
  return FeatureSet(
      name=name, extractor='opensmile',
      settings={'feature_set': feature_set, 'feature_level': level},
      hop=0.01 if lld else 0.0,
      extract=functools.partial(_opensmile_extract, feature_set, level),
      version=_opensmile_version)


def _logmel_extract(spec: logmel.LogMelSpec, samples: np.ndarray, sample_rate: int) -> Extracted:
  frames = logmel.log_mel(samples, sample_rate, spec)
  return frames, tuple(f'logmel_{i}' for i in range(spec.num_mels))


def _logmel_set(spec: logmel.LogMelSpec = logmel.LogMelSpec()) -> FeatureSet:
  return FeatureSet(name='logmel', extractor='emorec.logmel', settings=dataclasses.asdict(spec),
                    hop=spec.hop, extract=functools.partial(_logmel_extract, spec),
                    version=lambda: logmel.VERSION)


FEATURE_SETS: dict[str, FeatureSet] = {
    s.name: s for s in (
        _opensmile_set('egemaps_lld', 'eGeMAPSv02', 'LowLevelDescriptors'),
        _opensmile_set('egemaps_functionals', 'eGeMAPSv02', 'Functionals'),
        _opensmile_set('compare_lld', 'ComParE_2016', 'LowLevelDescriptors'),
        _opensmile_set('compare_functionals', 'ComParE_2016', 'Functionals'),
        _logmel_set())}


def feature_set(name: str) -> FeatureSet:
  """The registered feature set ``name``."""
  if name not in FEATURE_SETS:
    raise ValueError(f'Unknown feature set {name!r}; choose one of: {", ".join(FEATURE_SETS)}.')
  return FEATURE_SETS[name]
