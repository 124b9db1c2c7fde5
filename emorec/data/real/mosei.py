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
independent as each video has one speaker); videos outside the folds are left out. A video
listed twice, or a fold listing no labelled video, is an error naming the folds file.

Every frame interval of a feature sequence must be finite, start <= end, and start no earlier
than the previous frame's; every labelled segment finite with start <= end; a video or segment
that is not sane is a bad utterance ('intervals', dropped under on_bad_utterance='drop').
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import pathlib
from typing import ClassVar, Iterator, Mapping, Sequence

import numpy as np

from emorec.data.real import csd, textfile
from emorec.data.real.checks import BadUtterance, in_range, numeric, shown
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
  expected = '{"train": [...], "valid": [...], "test": [...]} of video ids'
  try:
    folds = json.loads(textfile.read_utf8(path))
  except json.JSONDecodeError as error:
    raise ValueError(f'{path}, line {error.lineno} column {error.colno}: not valid JSON '
                     f'({error.msg}), expected {expected}.') from None
  if not isinstance(folds, dict) or not set(folds) <= set(_FOLD_KEYS):
    got = f'keys {sorted(folds)}' if isinstance(folds, dict) else f'a {type(folds).__name__}'
    raise ValueError(f'{path}: expected {expected}, got {got}.')
  where: dict[str, str] = {}
  for key, videos in folds.items():
    if not isinstance(videos, list) or not all(isinstance(v, str) for v in videos):
      raise ValueError(f'{path}: fold {key!r} is {shown(videos)}, expected a list of video id '
                       'strings.')
    for video in videos:
      if video in where:
        raise ValueError(f'{path}: video {video!r} is listed in fold {where[video]!r} and again '
                         f'in {key!r}, expected each video in one fold once.')
      where[video] = key
  return {_FOLD_KEYS[key]: videos for key, videos in folds.items()}


def split_videos(video_ids: Sequence[str], folds_file: pathlib.Path,
                 labels_file: str) -> dict[str, list[str]]:
  """Labelled video ids per split: the folds file's when it exists, else the hashed split."""
  if folds_file.is_file():
    labelled = set(video_ids)
    splits = {}
    for split, videos in read_folds(folds_file).items():
      splits[split] = [v for v in videos if v in labelled]
      if not splits[split]:
        raise ValueError(f'{folds_file}: the {split} fold lists {len(videos)} videos, none of '
                         f'them labelled in {labels_file}, expected video ids of that file.')
    return splits
  splits = {split: [] for split, _ in _HASHED_SPLIT}
  for video_id in video_ids:
    splits[hashed_split(video_id)].append(video_id)
  return splits


def segment_labels(source: str, uid: str, row: np.ndarray) -> dict[str, np.ndarray | int]:
  """{'labels': multi-hot [6], 'sentiment': class} of one labels row."""
  row = numeric(source, uid, 'labels row', row)
  if row.shape != (len(LABEL_COLUMNS),):
    raise BadUtterance(source, uid, 'label', f'labels row has shape {list(row.shape)}, expected '
                       f'[{len(LABEL_COLUMNS)}] ({", ".join(LABEL_COLUMNS)})')
  sentiment = in_range(source, uid, 'sentiment', row[:1], -3, 3)
  intensities = in_range(source, uid, f'intensities of {", ".join(EMOTIONS)}', row[1:], 0, 3)
  return {LABELS: (intensities > 0).astype(np.float32), SENTIMENT: sentiment_class(sentiment[0])}


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

  def read(self, manual_dir: pathlib.Path, max_array_bytes: int | None = None
           ) -> dict[str, Iterator[Utterance | BadUtterance]]:
    labels_file = manual_dir / self.files['labels']
    with csd.ComputationalSequence(labels_file, max_array_bytes) as labels:
      video_ids = sorted(labels.video_ids())
    splits = split_videos(video_ids, manual_dir / self.folds, str(labels_file))
    return {split: self._utterances(manual_dir, videos, max_array_bytes)
            for split, videos in splits.items()}

  def _utterances(self, manual_dir: pathlib.Path, videos: Sequence[str],
                  max_array_bytes: int | None) -> Iterator[Utterance | BadUtterance]:
    with contextlib.ExitStack() as stack:
      labels, *sequences = (
          stack.enter_context(csd.ComputationalSequence(manual_dir / self.files[role],
                                                        max_array_bytes))
          for role in ('labels', *self.dims))
      for video_id in videos:
        yield from _video_utterances(video_id, labels, dict(zip(self.dims, sequences)))


def _stream(sequence: csd.ComputationalSequence,
            video_id: str) -> tuple[np.ndarray, np.ndarray] | str:
  """A video's (features, intervals) in a feature sequence, or what is wrong with its frame
  intervals."""
  features, intervals = sequence[video_id]
  bad = np.flatnonzero(csd.bad_intervals(intervals, ordered=True))
  if len(bad):
    return (f'/{sequence.root}/data/{video_id} {csd.interval_problem(intervals, bad[0])} '
            f'({len(bad)} bad intervals)')
  return features, intervals


def _video_utterances(video_id: str, labels: csd.ComputationalSequence,
                      sequences: Mapping[str, csd.ComputationalSequence]
                      ) -> Iterator[Utterance | BadUtterance]:
  """The utterances of one video: one per row of its labels, with the overlapping frames."""
  rows, segments = labels[video_id]
  bad_segments = csd.bad_intervals(segments, ordered=False)
  absent = [seq for seq in sequences.values() if video_id not in seq]
  streams = {m: _stream(seq, video_id) for m, seq in sequences.items() if video_id in seq}
  spoiled = [(sequences[m].path, problem) for m, problem in streams.items()
             if isinstance(problem, str)]
  for k, (row, (start, end)) in enumerate(zip(rows, segments)):
    uid = f'{video_id}[{k}]'
    if absent:
      yield BadUtterance(absent[0].path, uid, 'missing_modality',
                         f'video {video_id!r} is not in this sequence, expected every '
                         'labelled video')
      continue
    if bad_segments[k]:
      yield BadUtterance(labels.path, uid, 'intervals', f'segment {k} of video {video_id!r}: '
                         f'{csd.interval_problem(segments, k)}')
      continue
    if spoiled:
      yield BadUtterance(spoiled[0][0], uid, 'intervals', spoiled[0][1])
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
