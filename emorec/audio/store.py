"""The on-disk format of extracted features: one .npz per WAV file and feature set.

``{features_dir}/{feature set}/{WAV path relative to the audio folder, .wav -> .npz}`` holds
  frames      float32 [T, D] (T = 1 for functionals),
  names       str [D], the column names,
  provenance  str, a JSON object: format, feature_set, extractor, extractor_version,
              settings, sample_rate, hop (seconds; 0 for functionals), num_samples, source
              (the relative WAV path) and source_sha256 (of the WAV file's bytes).
Files are written atomically (a temporary file renamed), and read without pickles. See
docs/audio_features.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Any, Mapping, NamedTuple

import numpy as np

FORMAT = 'emorec.audio.features/1'
PROVENANCE_KEYS = ('format', 'feature_set', 'extractor', 'extractor_version', 'settings',
                   'sample_rate', 'hop', 'num_samples', 'source', 'source_sha256')


class Features(NamedTuple):
  """One file's features as stored."""

  frames: np.ndarray
  names: tuple[str, ...]
  provenance: dict[str, Any]


def sha256(path: str) -> str:
  """Hex SHA-256 of a file's bytes."""
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def feature_path(features_dir: str, feature_set: str, source: str) -> str:
  """Where the features of the WAV file ``source`` (relative to the audio folder) go."""
  stem, _ = os.path.splitext(os.path.normpath(source))
  if stem.startswith('..') or os.path.isabs(stem):
    raise ValueError(f'WAV path {source!r} must lie inside the audio folder.')
  return os.path.join(features_dir, feature_set, stem + '.npz')


def write_features(path: str, frames: np.ndarray, names: tuple[str, ...],
                   provenance: Mapping[str, Any]) -> None:
  """Writes one file atomically; ``provenance`` must hold every key of PROVENANCE_KEYS."""
  missing = [k for k in PROVENANCE_KEYS if k not in provenance]
  if missing:
    raise ValueError(f'{path}: provenance lacks {missing}.')
  frames = np.asarray(frames, np.float32)
  if frames.ndim != 2 or frames.shape[1] != len(names):
    raise ValueError(f'{path}: frames of shape {frames.shape} do not match {len(names)} names.')
  os.makedirs(os.path.dirname(path), exist_ok=True)
  handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix='.tmp')
  try:
    with os.fdopen(handle, 'wb') as f:
      np.savez(f, frames=frames, names=np.array(names, dtype=str),
               provenance=np.array(json.dumps(dict(provenance), sort_keys=True)))
    os.replace(temporary, path)
  except BaseException:
    os.unlink(temporary)
    raise


def read_features(path: str) -> Features:
  """One stored file, checked: the arrays are there and agree, the provenance is complete."""
  try:
    with np.load(path, allow_pickle=False) as stored:
      missing = [k for k in ('frames', 'names', 'provenance') if k not in stored.files]
      if missing:
        raise ValueError(f'{path}: not an emorec features file (lacks arrays {missing}).')
      frames, names = stored['frames'], tuple(stored['names'].tolist())
      provenance = json.loads(str(stored['provenance']))
  except (OSError, EOFError) as error:
    raise ValueError(f'{path}: unreadable features file ({error}).') from error
  lacking = [k for k in PROVENANCE_KEYS if k not in provenance]
  if lacking or provenance['format'] != FORMAT:
    raise ValueError(f'{path}: provenance lacks {lacking} or is not format {FORMAT!r}.')
  if frames.dtype != np.float32 or frames.ndim != 2 or frames.shape[1] != len(names):
    raise ValueError(f'{path}: frames {frames.dtype} {list(frames.shape)} do not match '
                     f'{len(names)} names, expected float32 [T, {len(names)}].')
  return Features(frames, names, provenance)
