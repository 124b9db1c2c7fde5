"""Dialogue pickles of the conv-emotion release (DialogueRNN, DialogueGCN, COSMIC).

IEMOCAP_features.pkl: a list [videoIDs, videoSpeakers, videoLabels, videoText, videoAudio,
videoVisual, videoSentence, trainVid, testVid], the dicts keyed by dialogue: videoIDs its
utterance ids, videoSpeakers 'M'/'F' per utterance, videoLabels hap 0, sad 1, neu 2, ang 3,
exc 4, fru 5, the features one vector per utterance. MELD_features_raw.pkl: [videoIDs,
videoSpeakers (one-hot party per utterance), videoLabels (neutral 0, surprise 1, fear 2,
sadness 3, joy 4, disgust 5, anger 6), videoText (600), videoAudio (300), videoSentence,
trainVid, testVid, videoSentiment (neutral 0, positive 1, negative 2)]. Both are Python 2
pickles; the releases have no validation split. An utterance's features are one frame [1, D].
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any, ClassVar, Iterator, Mapping

import numpy as np

from emorec.data import safe_pickle
from emorec.data.real import iemocap
from emorec.data.real.checks import BadUtterance, id_text, numeric, shown
from emorec.data.real.meld import EMOTIONS as MELD_EMOTIONS
from emorec.data.real.utterance import (LABEL, SENTIMENT, SENTIMENTS, LabelSet, Schema,
                                        Utterance)

IEMOCAP_CLASSES = ('happy', 'sad', 'neutral', 'angry', 'excited', 'frustrated')
LAYOUTS = {
    'iemocap': ('videoIDs', 'videoSpeakers', 'videoLabels', 'text', 'audio', 'vision',
                'videoSentence', 'trainVid', 'testVid'),
    'meld': ('videoIDs', 'videoSpeakers', 'videoLabels', 'text', 'audio', 'videoSentence',
             'trainVid', 'testVid', 'videoSentiment'),
}
FILES = {'iemocap': 'IEMOCAP_features.pkl', 'meld': 'MELD_features_raw.pkl'}
DIMS = {'iemocap': {'text': 100, 'audio': 1582, 'vision': 342},
        'meld': {'text': 600, 'audio': 300}}
_LABEL_SETS = {'iemocap': {LABEL: LabelSet(IEMOCAP_CLASSES)},
               'meld': {LABEL: LabelSet(MELD_EMOTIONS), SENTIMENT: LabelSet(SENTIMENTS)}}
_SPLITS = {'train': 'trainVid', 'test': 'testVid'}
# The item holding each label field.
_LABEL_KEYS = {LABEL: 'videoLabels', SENTIMENT: 'videoSentiment'}


def _party(source: str, uid: str, speaker: Any) -> str:
  """A speaker entry as a string: 'M'/'F', or the index of a one-hot party vector."""
  if isinstance(speaker, str):
    return speaker
  return str(int(np.argmax(numeric(source, uid, 'videoSpeakers entry', speaker))))


def _dialogues(source: str, split_key: str, vids: Any) -> list[Any]:
  """Dialogue keys in a deterministic order (the releases store lists or sets)."""
  if not isinstance(vids, (list, tuple, set, frozenset)) or not vids:
    raise ValueError(f'{source}: {split_key} is {shown(vids)}, expected a non-empty list or set '
                     'of dialogue keys.')
  named = [(id_text(source, f'{split_key} entry', vid), vid) for vid in vids]
  ordered = sorted(named, key=lambda pair: pair[0]) if isinstance(vids, (set, frozenset)) else named
  return [vid for _, vid in ordered]


@dataclasses.dataclass(frozen=True)
class ConvEmotionRelease:
  """One conv-emotion pickle in the manual directory.

  Attributes:
    corpus: 'iemocap' or 'meld' (the pickle's layout).
    file: the pickle's file name.
    dims: feature dimension of each modality (IEMOCAP's differ between the DialogueRNN and
      DialogueGCN releases: set them to what the file holds).
  """

  corpus: str = 'iemocap'
  file: str = FILES['iemocap']
  dims: Mapping[str, int] = dataclasses.field(default_factory=lambda: dict(DIMS['iemocap']))

  zero_neg_inf: ClassVar[tuple[str, ...]] = ()

  def schema(self) -> Schema:
    if self.corpus not in LAYOUTS:
      raise ValueError(f'The conv-emotion reader reads {sorted(LAYOUTS)}, not {self.corpus!r}.')
    absent = sorted(set(self.dims) - set(LAYOUTS[self.corpus]))
    if absent:
      raise ValueError(f'data.release.dims names {absent}, which the conv-emotion {self.corpus} '
                       f'release lacks (it has {sorted(DIMS[self.corpus])}).')
    return Schema(modality_dims=dict(self.dims), label_sets=_LABEL_SETS[self.corpus])

  def read(self, manual_dir: pathlib.Path, max_array_bytes: int | None = None
           ) -> dict[str, Iterator[Utterance | BadUtterance]]:
    path = manual_dir / self.file
    layout = LAYOUTS[self.corpus]
    items = safe_pickle.load(path, max_array_bytes=max_array_bytes)
    if not isinstance(items, (list, tuple)) or len(items) != len(layout):
      size = f' of {len(items)} items' if isinstance(items, (list, tuple)) else ''
      raise ValueError(f'{path}: expected a list of {len(layout)} items {list(layout)}, got a '
                       f'{type(items).__name__}{size}.')
    parts = dict(zip(layout, items))
    label_keys = [_LABEL_KEYS[field] for field in _LABEL_SETS[self.corpus]]
    for key in ('videoIDs', 'videoSpeakers', *label_keys, *self.dims):
      if not isinstance(parts[key], dict):
        raise ValueError(f'{path}: item {layout.index(key)} ({key}) is a '
                         f'{type(parts[key]).__name__}, expected a dict keyed by dialogue.')
    return {split: self._utterances(str(path), parts, key) for split, key in _SPLITS.items()}

  def _utterances(self, source: str, parts: Mapping[str, Any],
                  split_key: str) -> Iterator[Utterance | BadUtterance]:
    for vid in _dialogues(source, split_key, parts[split_key]):
      if vid not in parts['videoIDs']:
        raise ValueError(f'{source}: dialogue {vid!r} of {split_key} is not in videoIDs, '
                         'expected every listed dialogue to have utterance ids.')
      count = len(parts['videoIDs'][vid])
      for turn in range(count):
        yield self._utterance(source, parts, vid, turn)
      for modality in self.dims:
        rows = parts[modality].get(vid, ())
        for row in range(count, len(rows)):
          yield BadUtterance(source, f'{vid} row {row}', 'unmatched_id',
                             f'{modality} row {row} of dialogue {vid!r} has no utterance id, '
                             f'expected {count} rows as in videoIDs')

  def _utterance(self, source: str, parts: Mapping[str, Any], vid: Any,
                 turn: int) -> Utterance | BadUtterance:
    try:
      utterance_id = id_text(source, f'videoIDs[{vid!r}] entry {turn}',
                             parts['videoIDs'][vid][turn])
      uid = utterance_id if self.corpus == 'iemocap' else f'{vid}_{utterance_id}'
      features = {}
      for modality in self.dims:
        rows = parts[modality].get(vid, ())
        if turn < len(rows):
          features[modality] = np.atleast_2d(numeric(source, uid, f'{modality} features',
                                                     rows[turn]))
      labels = {}
      for field in _LABEL_SETS[self.corpus]:
        values = parts[_LABEL_KEYS[field]].get(vid, ())
        if turn >= len(values):
          raise BadUtterance(source, uid, 'label', f'no {_LABEL_KEYS[field]} entry for this '
                             f'utterance, expected one per utterance of dialogue {vid!r}')
        labels[field] = values[turn]
      party = _party(source, uid, parts['videoSpeakers'][vid][turn])
    except BadUtterance as problem:
      return problem
    speaker = (iemocap.speaker_of(uid) if self.corpus == 'iemocap' else None) or f'{vid}/{party}'
    return Utterance(id=uid, dialogue=str(vid), speaker=speaker, features=features,
                     labels=labels, source=source)
