"""Aligned pickles of the Multimodal-Transformer (MulT) release: iemocap_data.pkl and
mosei_senti_data.pkl.

Each is a dict {'train', 'valid', 'test'} of dicts {'text' [N, T, 300], 'audio' [N, T, 74],
'vision' [N, T, 35], 'labels', 'id'} (without 'id', an utterance is named '{split}_{row}'),
every modality aligned to the words and zero-padded to T frames; frames that are zero in every
modality (the padding) are dropped. IEMOCAP labels are
[N, 4, 2]: per emotion (neutral, happy, sad, angry) a pair whose argmax says whether it is
present, exactly one being present. MOSEI labels are [N, 1, 1] sentiment scores in [-3, 3]
(this release has no emotions), read as a 3-class sentiment. The audio holds -inf, set to 0.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any, ClassVar, Iterator, Mapping

import numpy as np

from emorec.data import safe_pickle
from emorec.data.real import iemocap
from emorec.data.real.checks import BadUtterance, id_text, in_range, numeric, shown
from emorec.data.real.utterance import (LABEL, SENTIMENT, SENTIMENTS, LabelSet, Schema,
                                        Utterance, sentiment_class)

SPLITS = {'train': 'train', 'valid': 'validation', 'test': 'test'}
IEMOCAP_EMOTIONS = ('neutral', 'happy', 'sad', 'angry')
FILES = {'iemocap': 'iemocap_data.pkl', 'mosei': 'mosei_senti_data.pkl'}
DIMS = {'text': 300, 'audio': 74, 'vision': 35}


def id_of(source: str, where: str, value: Any) -> tuple[str, str]:
  """(utterance id, dialogue) of an 'id' entry: a string (its dialogue is what precedes the
  last '_'), or a row of strings whose first names the video (the id joins them with '_')."""
  row = value if isinstance(value, (list, tuple, np.ndarray)) else [value]
  if isinstance(row, np.ndarray) and row.ndim > 1:
    raise BadUtterance(source, where, 'text', f'id has shape {list(row.shape)}, expected a '
                       'string or a row of strings')
  parts = [id_text(source, where, v.item() if isinstance(v, np.generic) else v) for v in row]
  if not parts:
    raise BadUtterance(source, where, 'text', 'id is empty, expected a string or a row of '
                       'strings')
  uid = '_'.join(parts)
  return uid, parts[0] if len(parts) > 1 else uid.rsplit('_', 1)[0]


def unpadded(source: str, uid: str, frames: Mapping[str, Any]) -> dict[str, np.ndarray]:
  """The aligned frames without those that are zero in every modality (the padding)."""
  frames = {m: numeric(source, uid, f'{m} features', f) for m, f in frames.items()}
  lengths = {m: len(f) if f.ndim else 0 for m, f in frames.items()}
  if len(set(lengths.values())) > 1 or not all(f.ndim for f in frames.values()):
    raise BadUtterance(source, uid, 'dimension',
                       f'aligned modalities have {lengths} frames, expected the same number')
  flat = [f.reshape(len(f), -1) for f in frames.values()]
  keep = np.any(np.concatenate(flat, axis=1) != 0, axis=1)
  return {m: f[keep] for m, f in frames.items()}


def iemocap_label(source: str, uid: str, value: Any) -> int:
  """The emotion of a [4, 2] IEMOCAP label: the one whose pair's argmax is 1."""
  pairs = numeric(source, uid, 'labels', value)
  if not np.isfinite(pairs).all():
    raise BadUtterance(source, uid, 'label', f'labels {pairs.tolist()} hold NaN or inf, '
                       f'expected finite [4, 2] pairs for {", ".join(IEMOCAP_EMOTIONS)}')
  present = np.flatnonzero(pairs.argmax(-1) == 1) if pairs.shape == (4, 2) else ()
  if len(present) != 1:
    raise BadUtterance(source, uid, 'label',
                       f'labels {shown(pairs.tolist())} mark {len(present)} emotions present, '
                       f'expected [4, 2] marking exactly one of {", ".join(IEMOCAP_EMOTIONS)}')
  return int(present[0])


def mosei_sentiment(source: str, uid: str, value: Any) -> int:
  """The 3-class sentiment of a [1, 1] MOSEI sentiment score in [-3, 3]."""
  score = numeric(source, uid, 'labels', value).ravel()
  if score.shape != (1,):
    raise BadUtterance(source, uid, 'label',
                       f'labels {shown(score.tolist())}, expected one sentiment score')
  return sentiment_class(in_range(source, uid, 'sentiment score', score, -3, 3)[0])


@dataclasses.dataclass(frozen=True)
class MultRelease:
  """One MulT pickle in the manual directory.

  Attributes:
    corpus: 'iemocap' or 'mosei' (how its labels read).
    file: the pickle's file name.
    dims: feature dimension of each modality.
  """

  corpus: str = 'iemocap'
  file: str = FILES['iemocap']
  dims: Mapping[str, int] = dataclasses.field(default_factory=lambda: dict(DIMS))

  # COVAREP holds -inf (log of zero energy).
  zero_neg_inf: ClassVar[tuple[str, ...]] = ('audio',)

  def schema(self) -> Schema:
    label_sets = {'iemocap': {LABEL: LabelSet(IEMOCAP_EMOTIONS)},
                  'mosei': {SENTIMENT: LabelSet(SENTIMENTS)}}
    if self.corpus not in label_sets:
      raise ValueError(f'The MulT reader reads {sorted(label_sets)}, not {self.corpus!r}.')
    return Schema(modality_dims=dict(self.dims), label_sets=label_sets[self.corpus])

  def read(self, manual_dir: pathlib.Path, max_array_bytes: int | None = None
           ) -> dict[str, Iterator[Utterance | BadUtterance]]:
    path = manual_dir / self.file
    data = safe_pickle.load(path, max_array_bytes=max_array_bytes)
    if not isinstance(data, dict) or not set(SPLITS) <= set(data):
      raise ValueError(f'{path}: expected a dict with keys {list(SPLITS)}, got '
                       f'{sorted(data) if isinstance(data, dict) else type(data).__name__}.')
    return {split: self._utterances(str(path), key, data[key]) for key, split in SPLITS.items()}

  def _utterances(self, source: str, key: str,
                  part: Mapping[str, Any]) -> Iterator[Utterance | BadUtterance]:
    missing = ([k for k in (*self.dims, 'labels') if k not in part]
               if isinstance(part, dict) else [*self.dims, 'labels'])
    if missing:
      raise ValueError(f"{source}: split {key!r} lacks {missing}, expected "
                       f"{[*self.dims, 'labels', 'id']}.")
    for field in (*self.dims, 'labels', *(['id'] if 'id' in part else [])):
      if not isinstance(part[field], (np.ndarray, list, tuple)):
        raise ValueError(f'{source}: split {key!r}: {field} is a {type(part[field]).__name__}, '
                         'expected an array with one row per utterance.')
    labels = part['labels']
    # Without ids (some copies lack them), an utterance is named by its split and row.
    ids = part['id'] if 'id' in part else [f'{key}_{row}' for row in range(len(labels))]
    if len(ids) != len(labels) or not len(labels):
      raise ValueError(f"{source}: split {key!r} has {len(ids)} ids and {len(labels)} labels, "
                       'expected one id per label, at least one.')
    for row in range(len(labels)):
      yield self._utterance(source, key, part, ids[row], row)
    for modality in self.dims:
      for row in range(len(labels), len(part[modality])):
        yield BadUtterance(source, f'{key} row {row}', 'unmatched_id',
                           f'{modality} row {row} has no id or labels, expected {len(labels)} '
                           'rows as in labels')

  def _utterance(self, source: str, key: str, part: Mapping[str, Any], id_entry: Any,
                 row: int) -> Utterance | BadUtterance:
    try:
      uid, dialogue = id_of(source, f'{key} row {row}', id_entry)
      missing = [m for m in self.dims if row >= len(part[m])]
      if missing:
        raise BadUtterance(source, uid, 'missing_modality',
                           f'no {missing[0]} row for this id, expected one row per label')
      features = unpadded(source, uid, {m: part[m][row] for m in self.dims})
      if self.corpus == 'iemocap':
        labels = {LABEL: iemocap_label(source, uid, part['labels'][row])}
      else:
        labels = {SENTIMENT: mosei_sentiment(source, uid, part['labels'][row])}
    except BadUtterance as problem:
      return problem
    speaker = (iemocap.speaker_of(uid) if self.corpus == 'iemocap' else None) or dialogue
    return Utterance(id=uid, dialogue=dialogue, speaker=speaker, features=features,
                     labels=labels, source=source)
