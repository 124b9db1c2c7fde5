"""Turns an audio-folder data config into a `Corpus` with one modality, 'audio'.

The labels CSV lists the WAV files with their speaker and emotion; each file's features are
read from ``{data.features_dir}/{data.feature}/`` (emorec/audio/store.py), pooled over
``data.frame_pool`` frames, standardised (``data.normalise``) and truncated to ``data.max_len``
frames, then split by speaker (``data.split``, ``data.fold``).
"""

from __future__ import annotations

import os

import ml_collections
import numpy as np
import tensorflow as tf

from emorec.audio import labels as labels_csv
from emorec.audio import store as feature_store
from emorec.data.audio_folder import folds, normalise
from emorec.data.corpus import Corpus, Split
from emorec.data.real import store


def pooled(frames: np.ndarray, size: int) -> np.ndarray:
  """Means of consecutive runs of ``size`` frames (the last run may be shorter)."""
  if size < 1:
    raise ValueError(f'data.frame_pool must be at least 1, got {size}.')
  if size == 1:
    return frames
  starts = np.arange(0, frames.shape[0], size)
  return (np.add.reduceat(frames, starts, axis=0) /
          np.diff(np.append(starts, frames.shape[0]))[:, None]).astype(np.float32)


def read_frames(data: ml_collections.ConfigDict,
                files: np.ndarray) -> tuple[list[np.ndarray | None], list[str]]:
  """Each file's stored frames (None when missing and data.on_bad_audio is 'skip') and names."""
  frames, names = [], None
  for source in files:
    path = feature_store.feature_path(data.features_dir, data.feature, source)
    if not os.path.isfile(path):
      if data.on_bad_audio == 'skip':
        frames.append(None)
        continue
      raise ValueError(f'{path}: no {data.feature} features for {source!r} of {data.labels}; '
                       f'extract them with launch/extract_audio.py --output={data.features_dir}.')
    stored = feature_store.read_features(path)
    if stored.provenance['feature_set'] != data.feature:
      raise ValueError(f'{path}: holds {stored.provenance["feature_set"]!r} features, expected '
                       f'{data.feature!r}.')
    if names is None:
      names = stored.names
    elif stored.names != names:
      raise ValueError(f'{path}: its {len(stored.names)} columns differ from the other files\'.')
    frames.append(stored.frames)
  if names is None:
    raise ValueError(f'{data.features_dir}/{data.feature}: no features for any file of '
                     f'{data.labels}.')
  return frames, list(names)


def load_audio_folder(data: ml_collections.ConfigDict) -> Corpus:
  """The corpus ``data`` configures (see the module docstring).

  ``info`` reports the feature set, split and fold, each split's size and speakers, and the
  labelled files dropped for lack of features (``dropped``).
  """
  table = labels_csv.read_labels(data.labels, labels_csv.Columns(**data.columns.to_dict()))
  emotions = tuple(data.emotions)
  unknown = sorted(set(table.emotions.tolist()) - set(emotions))
  if unknown:
    raise ValueError(f'{data.labels}: emotions {unknown} are not among data.emotions {emotions}.')
  frames, _ = read_frames(data, table.files)
  kept = np.array([f is not None for f in frames])
  files, speakers = table.files[kept], table.speakers[kept]
  label_ids = np.array([emotions.index(e) for e in table.emotions[kept]], np.int32)
  utterances = [pooled(f, data.frame_pool) for f in frames if f is not None]
  rows = folds.split_rows(data.split, speakers,
                          None if table.splits is None else table.splits[kept], data.fold)
  utterances = [u[:data.max_len] for u in
                normalise.standardised(utterances, speakers, rows['train'], data.normalise)]
  speaker_ids = np.unique(speakers, return_inverse=True)[1].astype(np.int32)
  tensors = store.FrameTensors(
      frames={'audio': tf.constant(np.concatenate(utterances))},
      offsets={'audio': tf.constant(np.cumsum([0] + [len(u) for u in utterances]), tf.int64)})
  corpus_splits = {
      name: Split(labels=label_ids[r], example_fn=store.make_example_fn(
          tensors, r, 'label', label_ids[r], speaker_ids[r])) for name, r in rows.items()}
  info = {'feature': data.feature, 'split': data.split,
          **({'fold': data.fold} if data.split == 'loso' else {}),
          'examples': {name: len(r) for name, r in rows.items()},
          'speakers': {name: sorted(set(speakers[r].tolist())) for name, r in rows.items()},
          'files': {name: files[r].tolist() for name, r in rows.items()},
          'dropped': {'missing_features': int(np.sum(~kept))}}
  return Corpus(name=data.corpus, emotions=emotions,
                modality_dims={'audio': int(utterances[0].shape[1])}, multi_label=False,
                splits=corpus_splits, info=info)
