"""The data section of an audio-folder corpus's config (configs/emodb.py)."""

from __future__ import annotations

from typing import Sequence

import ml_collections

from emorec.audio import features
from emorec.data.audio_folder import folds, normalise
from emorec.data.labelled_share import add_labelled_share

POLICIES = ('error', 'skip')


def data_config(corpus: str, *, audio_dir: str, labels: str, features_dir: str,
                emotions: Sequence[str], feature: str = 'egemaps_lld', split: str = 'loso',
                fold: int = 1, normalisation: str = 'speaker', frame_pool: int = 1,
                max_len: int = 200, on_bad_audio: str = 'error', file_column: str = 'file',
                speaker_column: str = 'speaker', emotion_column: str = 'emotion',
                split_column: str = '', label_fraction: float = 1.0) -> ml_collections.ConfigDict:
  """``config.data`` reading ``feature`` of the WAV files listed in ``labels``."""
  features.feature_set(feature)
  for name, value, known in (('split', split, folds.KINDS),
                             ('normalise', normalisation, normalise.KINDS),
                             ('on_bad_audio', on_bad_audio, POLICIES)):
    if value not in known:
      raise ValueError(f'data.{name} must be one of {known}, got {value!r}.')
  data = ml_collections.ConfigDict()
  data.name = 'audio_folder'
  # The corpus's name in logs and tables.
  data.corpus = corpus
  # The folder the labels CSV's WAV paths are relative to, and the CSV itself.
  data.audio_dir = audio_dir
  data.labels = labels
  data.columns = {'file': file_column, 'speaker': speaker_column, 'emotion': emotion_column,
                  'split': split_column}
  # The classes, in label order: every row's emotion must be one of them.
  data.emotions = tuple(emotions)
  # launch/extract_audio.py's output, and which of its feature sets is read (emorec.audio.features).
  data.features_dir = features_dir
  data.feature = feature
  # 'loso': test on speaker `fold` (1-based, sorted), validate on the next | 'column': the CSV's.
  data.split = split
  data.fold = fold
  # 'speaker' | 'train' | 'none' (emorec/data/audio_folder/normalise.py).
  data.normalise = normalisation
  # Frames averaged into one (1 keeps them), then the first max_len kept.
  data.frame_pool = frame_pool
  data.max_len = max_len
  # 'error': a labelled file without features stops the load | 'skip': dropped, counted.
  data.on_bad_audio = on_bad_audio
  add_labelled_share(data, label_fraction)
  return data
