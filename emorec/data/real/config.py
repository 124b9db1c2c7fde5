"""The data section of the real corpora's configs (configs/iemocap.py, meld.py, mosei.py)."""

from __future__ import annotations

from typing import Any, Mapping

import ml_collections

from emorec.data import limits
from emorec.data.corpus import MODALITIES
from emorec.data.labelled_share import add_labelled_share
from emorec.data.real import checks, formats, targets


def data_config(corpus: str, reader: str, *, manual_dir: str, data_dir: str, protocol: str,
                release: Mapping[str, Any] | None = None, split: str = 'release',
                fold: int = 1, validation_share: float = 0.1, on_bad_utterance: str = 'error',
                max_len: int = 50, label_fraction: float = 1.0,
                max_array_bytes: int = limits.MAX_ARRAY_BYTES) -> ml_collections.ConfigDict:
  """``config.data`` for a real corpus: its release, protocol and the fields every corpus has.

  ``release`` overrides the reader's default options (``formats.default_options``).
  """
  if on_bad_utterance not in checks.POLICIES:
    raise ValueError(f'on_bad_utterance must be one of {checks.POLICIES}, '
                     f'got {on_bad_utterance!r}.')
  data = ml_collections.ConfigDict()
  data.name = corpus
  # Release format: see emorec/data/real/formats.py for the readers of each corpus.
  data.reader = reader
  # The directory holding the release files (TFDS's manual directory).
  data.manual_dir = manual_dir
  # Where the prepared TFDS dataset is written and read; '' for TFDS's default.
  data.data_dir = data_dir
  # The reader's options (file names, feature dimensions, ...): its dataclass documents them.
  data.release = {**formats.default_options(corpus, reader), **(release or {})}
  # 'error' stops the build at the first bad utterance; 'drop' leaves it out, counted in
  # Corpus.info['dropped'].
  data.on_bad_utterance = on_bad_utterance
  # The largest array (bytes) a release file may declare; larger ones, or ones larger than
  # their file can hold, are refused before anything is allocated (emorec/data/limits.py).
  data.max_array_bytes = max_array_bytes
  # The classes (emorec/data/real/targets.py).
  data.protocol = protocol
  # 'release' (the release's splits) | 'loso' (IEMOCAP: test on session data.fold, 1..5).
  data.split = split
  data.fold = fold
  # Share of the training dialogues carved out for validation when there is no such split.
  data.validation_share = validation_share
  add_labelled_share(data, label_fraction)
  # Frames per modality after truncation/padding.
  data.max_len = max_len
  return data


def modalities(data: ml_collections.ConfigDict) -> tuple[str, ...]:
  """The modalities the configured release holds (what model.modalities should be)."""
  release = formats.release_of(data.name, data.reader, data.release.to_dict())
  return tuple(m for m in MODALITIES if m in release.schema().modality_dims)


def with_data(config: ml_collections.ConfigDict,
              data: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """``config`` (a base config such as configs/synthetic.py's) reading ``data`` instead.

  Its label_fraction is kept, model.modalities becomes the release's modalities, and a
  multi-label protocol selects checkpoints on the mean weighted accuracy.
  """
  data.label_fraction = config.data.label_fraction
  config.data = data
  config.model.modalities = modalities(data)
  if multi_label(data):
    config.eval.selection_metric = 'wacc'
    # Probability above which an emotion is predicted present.
    config.eval.threshold = 0.5
  return config


def multi_label(data: ml_collections.ConfigDict) -> bool:
  """Whether the corpus ``data`` configures has multi-label examples."""
  if data.name == 'synthetic':
    return bool(data.synthetic.multi_label)
  if data.name == 'text':
    return bool(data.text.label_separator)
  if data.name == 'audio_folder':
    return False
  return targets.target_of(data.name, data.protocol).multi_label

