"""CMU-MOSEI from its CMU-MultimodalSDK computational sequences (.csd files).

The labels sequence has one row per utterance segment of a video: 7 columns, sentiment in
[-3, 3] then happy, sad, anger, surprise, disgust, fear in [0, 3]. An emotion is present when
its intensity is > 0 (the 6-emotion multi-label task); the sentiment's sign gives a 3-class
sentiment. Segment k of video v has the id 'v[k]' (the SDK's naming) and takes the frames of
each feature sequence that overlap it.

Splits: a ``folds`` JSON file in the manual directory, {"train": [video ids], "valid": [...],
"test": [...]}, holds the SDK's standard folds; make it once where the SDK is installed:

  python -c "import json; from mmsdk.mmdatasdk.dataset.standard_datasets.CMU_MOSEI import \
cmu_mosei_std_folds as f; json.dump({'train': f.standard_train_fold, 'valid': \
f.standard_valid_fold, 'test': f.standard_test_fold}, open('folds.json', 'w'))"

Without it, videos are split 70/10/20 by a hash of their id (deterministic, speaker
independent as each video has one speaker); videos outside the folds are left out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import pathlib
from typing import ClassVar, Iterator, Mapping, Sequence

import numpy as np

from emorec.data.real import csd
from emorec.data.real.checks import BadUtterance
from emorec.data.real.utterance import (LABELS, SENTIMENT, SENTIMENTS, LabelSet, Schema,
                                        Utterance, sentiment_class)

EMOTIONS = ('happy', 'sad', 'anger', 'surprise', 'disgust', 'fear')
LABEL_COLUMNS = ('sentiment', *EMOTIONS)
FILES = {'text': 'CMU_MOSEI_TimestampedWordVectors.csd', 'audio': 'CMU_MOSEI_COVAREP.csd',
         'vision': 'CMU_MOSEI_VisualFacet42.csd', 'labels': 'CMU_MOSEI_Labels.csd'}
DIMS = {'text': 300, 'audio': 74, 'vision': 35}
# Shares of the hashed split when there is no folds file, in percent.
_HASHED_SPLIT = (('train', 70), ('validation', 80), ('test', 100))
_FOLD_KEYS = {'train': 'train', 'valid': 'validation', 'validation': 'validation',
              'test': 'test'}


def hashed_split(video_id: str) -> str:
  """The split of a video without a folds file: 70/10/20 by a hash of its id."""
  bucket = int(hashlib.sha1(video_id.encode()).hexdigest(), 16) % 100
  return next(split for split, bound in _HASHED_SPLIT if bucket < bound)


def read_folds(path: pathlib.Path) -> dict[str, list[str]]:
  """Video ids per split from a folds JSON file (see the module docstring)."""
  with open(path, encoding='utf-8') as file:
    folds = json.load(file)
  if not isinstance(folds, dict) or not set(folds) <= set(_FOLD_KEYS):
    raise ValueError(f'{path}: expected {{"train": [...], "valid": [...], "test": [...]}} of '
                     f'video ids, got keys {sorted(folds) if isinstance(folds, dict) else folds}.')
  return {_FOLD_KEYS[key]: [str(v) for v in videos] for key, videos in folds.items()}


def split_videos(video_ids: Sequence[str], folds_file: pathlib.Path) -> dict[str, list[str]]:
  """Labelled video ids per split: the folds file's when it exists, else the hashed split."""
  if folds_file.is_file():
    labelled = set(video_ids)
    return {split: [v for v in videos if v in labelled]
            for split, videos in read_folds(folds_file).items()}
  splits = {split: [] for split, _ in _HASHED_SPLIT}
  for video_id in video_ids:
    splits[hashed_split(video_id)].append(video_id)
  return splits


def segment_labels(source: str, uid: str, row: np.ndarray) -> dict[str, np.ndarray | int]:
  """{'labels': multi-hot [6], 'sentiment': class} of one labels row."""
  row = np.asarray(row, np.float64)
  if row.shape != (len(LABEL_COLUMNS),) or not np.all(np.isfinite(row)):
    raise BadUtterance(source, uid, 'label', f'labels row is {row.tolist()}, expected '
                       f'{len(LABEL_COLUMNS)} finite values ({", ".join(LABEL_COLUMNS)})')
  return {LABELS: (row[1:] > 0).astype(np.float32), SENTIMENT: sentiment_class(row[0])}


@dataclasses.dataclass(frozen=True)
class MoseiCsdRelease:
  """CMU-MOSEI computational sequences in the manual directory.

  Attributes:
    files: file name of each modality's sequence and of the 'labels' sequence.
    dims: feature dimension of each modality (the modalities read).
    folds: name of the optional folds JSON file.
  """

  files: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(FILES))
  dims: Mapping[str, int] = dataclasses.field(default_factory=lambda: dict(DIMS))
  folds: str = 'folds.json'

  corpus: ClassVar[str] = 'mosei'
  # COVAREP holds -inf (log of zero energy).
  zero_neg_inf: ClassVar[tuple[str, ...]] = ('audio',)

  def schema(self) -> Schema:
    missing = [role for role in (*self.dims, 'labels') if role not in self.files]
    if missing:
      raise ValueError(f'data.release.files lacks {missing}, expected a .csd file name for '
                       'each modality of data.release.dims and for the labels.')
    return Schema(modality_dims=dict(self.dims),
                  label_sets={LABELS: LabelSet(EMOTIONS, multi_label=True),
                              SENTIMENT: LabelSet(SENTIMENTS)})

  def read(self, manual_dir: pathlib.Path) -> dict[str, Iterator[Utterance | BadUtterance]]:
    with csd.ComputationalSequence(manual_dir / self.files['labels']) as labels:
      video_ids = sorted(labels.video_ids())
    splits = split_videos(video_ids, manual_dir / self.folds)
    return {split: self._utterances(manual_dir, videos) for split, videos in splits.items()}

  def _utterances(self, manual_dir: pathlib.Path,
                  videos: Sequence[str]) -> Iterator[Utterance | BadUtterance]:
    with contextlib.ExitStack() as stack:
      labels = stack.enter_context(csd.ComputationalSequence(manual_dir / self.files['labels']))
      sequences = {m: stack.enter_context(csd.ComputationalSequence(manual_dir / self.files[m]))
                   for m in self.dims}
      for video_id in videos:
        yield from _video_utterances(video_id, labels, sequences)


def _video_utterances(video_id: str, labels: csd.ComputationalSequence,
                      sequences: Mapping[str, csd.ComputationalSequence]
                      ) -> Iterator[Utterance | BadUtterance]:
  """The utterances of one video: one per row of its labels, with the overlapping frames."""
  rows, segments = labels[video_id]
  absent = [seq for seq in sequences.values() if video_id not in seq]
  streams = {m: seq[video_id] for m, seq in sequences.items() if video_id in seq}
  for k, (row, (start, end)) in enumerate(zip(rows, segments)):
    uid = f'{video_id}[{k}]'
    if absent:
      yield BadUtterance(absent[0].path, uid, 'missing_modality',
                         f'video {video_id!r} is not in this sequence, expected every '
                         'labelled video')
      continue
    try:
      targets = segment_labels(labels.path, uid, row)
    except BadUtterance as problem:
      yield problem
      continue
    features = {m: csd.overlapping(values, intervals, start, end)
                for m, (values, intervals) in streams.items()}
    yield Utterance(id=uid, dialogue=video_id, speaker=video_id, features=features,
                    labels=targets, source=labels.path,
                    feature_sources={m: seq.path for m, seq in sequences.items()})
