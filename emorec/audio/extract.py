"""Feature extraction over a folder of WAV files: parallel over files, resumable, screened.

Each WAV file is read once (`wav.read_wav`) and every requested feature set not yet stored for
it is extracted and written (`store`). A stored file counts as done when its provenance names
the same feature set, extractor, version and settings and the SHA-256 of the WAV file it came
from is unchanged, so an interrupted or extended run redoes only what is missing or stale.
A bad WAV file stops the run with an error naming it ('error'), or is left out and counted by
reason ('skip'); either way the run's summary goes to ``{features_dir}/extraction.json``.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import multiprocessing
import os
import time
from typing import Any, Iterator, Sequence

import numpy as np
import tqdm

from emorec.audio import features, store, wav

POLICIES = ('error', 'skip')
SUMMARY_FILE = 'extraction.json'


@dataclasses.dataclass(frozen=True)
class Job:
  """What to extract from one WAV file (``source``, relative to ``audio_dir``)."""

  audio_dir: str
  source: str
  features_dir: str
  feature_sets: tuple[str, ...]
  sample_rate: int | None = None
  silence_threshold: float = 1e-4


@dataclasses.dataclass(frozen=True)
class FileResult:
  source: str
  written: int
  already_done: int
  bad: wav.BadAudio | None = None


@dataclasses.dataclass(frozen=True)
class Summary:
  """A run over a folder: file and feature-file counts, bad files by reason, seconds taken."""

  files: int
  written: int
  already_done: int
  bad: dict[str, list[str]]
  seconds: float

  @property
  def num_bad(self) -> int:
    return sum(len(paths) for paths in self.bad.values())


def list_wavs(audio_dir: str) -> list[str]:
  """The .wav files under ``audio_dir`` (recursively), relative to it, sorted."""
  found = []
  for root, _, names in os.walk(audio_dir):
    found += [os.path.relpath(os.path.join(root, n), audio_dir) for n in names
              if n.lower().endswith('.wav')]
  return sorted(found)


def provenance(feature_set: features.FeatureSet, source: str, digest: str, sample_rate: int,
               num_samples: int) -> dict[str, Any]:
  """The provenance stored beside one file's features (store.PROVENANCE_KEYS)."""
  return {'format': store.FORMAT, 'feature_set': feature_set.name,
          'extractor': feature_set.extractor, 'extractor_version': feature_set.version(),
          'settings': dict(feature_set.settings), 'sample_rate': sample_rate,
          'hop': feature_set.hop, 'num_samples': num_samples, 'source': source,
          'source_sha256': digest}


def is_done(path: str, feature_set: features.FeatureSet, digest: str) -> bool:
  """Whether ``path`` holds this feature set's current output for the WAV file ``digest``."""
  if not os.path.isfile(path):
    return False
  try:
    stored = store.read_features(path).provenance
  except ValueError:
    return False
  return (stored['feature_set'], stored['extractor'], stored['extractor_version'],
          stored['settings'], stored['source_sha256']) == (
              feature_set.name, feature_set.extractor, feature_set.version(),
              dict(feature_set.settings), digest)


def extract_file(job: Job) -> FileResult:
  """Extracts and writes the missing feature sets of one file; a bad file is returned, not
  raised, so that the caller applies its policy."""
  path = os.path.join(job.audio_dir, job.source)
  try:
    try:
      digest = store.sha256(path)
    except OSError as error:
      raise wav.BadAudio(path, 'unreadable', f'cannot be read ({error.strerror or error})')
    sets = [features.feature_set(name) for name in job.feature_sets]
    todo = [s for s in sets
            if not is_done(store.feature_path(job.features_dir, s.name, job.source), s, digest)]
    if todo:
      samples, rate = wav.read_wav(path, job.sample_rate,
                                   silence_threshold=job.silence_threshold)
    for feature_set in todo:
      frames, names = feature_set.extract(samples, rate)
      if not np.isfinite(frames).all():
        raise wav.BadAudio(path, 'non_finite', f'{feature_set.name} features hold NaN/inf '
                           'values, expected finite features')
      store.write_features(store.feature_path(job.features_dir, feature_set.name, job.source),
                           frames, names,
                           provenance(feature_set, job.source, digest, rate, samples.shape[0]))
  except wav.BadAudio as bad:
    return FileResult(job.source, 0, 0, bad)
  return FileResult(job.source, len(todo), len(sets) - len(todo))


def _results(jobs: Sequence[Job], workers: int) -> Iterator[FileResult]:
  """Each job's result, in order, from a pool of fresh worker processes.

  Extraction never runs in the calling process: openSMILE's native library aborts in a
  process that loaded TensorFlow before it, and 'spawn' starts workers that import neither
  (nor inherit the threads of JAX or TensorFlow, as forked ones would).
  """
  context = multiprocessing.get_context('spawn')
  chunk = max(1, min(16, len(jobs) // (4 * workers)))
  with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
    try:
      yield from pool.map(extract_file, jobs, chunksize=chunk)
    finally:
      pool.shutdown(cancel_futures=True)


def extract_folder(audio_dir: str, sources: Sequence[str], features_dir: str,
                   feature_sets: Sequence[str], *, sample_rate: int | None = None,
                   workers: int = 1, on_bad_audio: str = 'error', progress: bool = True,
                   silence_threshold: float = 1e-4) -> Summary:
  """Extracts ``feature_sets`` of the WAV files ``sources`` (relative to ``audio_dir``).

  ``sample_rate`` is the rate every file must have (None: any). ``on_bad_audio``: 'error'
  raises the first `wav.BadAudio`; 'skip' leaves bad files out and lists them in the summary.
  ``progress`` shows a progress bar with the time left on stderr. ``workers`` processes
  extract (see `_results`).
  """
  if on_bad_audio not in POLICIES:
    raise ValueError(f'on_bad_audio must be one of {POLICIES}, got {on_bad_audio!r}.')
  if workers < 1:
    raise ValueError(f'workers must be at least 1, got {workers}.')
  for name in feature_sets:
    features.feature_set(name)
  jobs = [Job(audio_dir, source, features_dir, tuple(feature_sets), sample_rate,
              silence_threshold) for source in sources]
  start = time.perf_counter()
  written = already_done = 0
  bad: dict[str, list[str]] = {}
  with tqdm.tqdm(total=len(jobs), unit='file', disable=not progress, smoothing=0.1) as bar:
    for result in _results(jobs, min(workers, max(1, len(jobs)))):
      if result.bad is not None:
        if on_bad_audio == 'error':
          raise result.bad
        bad.setdefault(result.bad.reason, []).append(result.source)
      written += result.written
      already_done += result.already_done
      bar.update(1)
      bar.set_postfix(bad=sum(map(len, bad.values())), refresh=False)
  summary = Summary(len(jobs), written, already_done, bad, time.perf_counter() - start)
  os.makedirs(features_dir, exist_ok=True)
  with open(os.path.join(features_dir, SUMMARY_FILE), 'w') as f:
    json.dump({**dataclasses.asdict(summary), 'feature_sets': list(feature_sets),
               'workers': workers, 'audio_dir': os.path.abspath(audio_dir)}, f, indent=1)
  return summary
