"""MELD from its official release: the split CSVs plus per-utterance feature files.

The CSVs ({train,dev,test}_sent_emo.csv, UTF-8, CRLF) give each utterance's speaker, emotion
and sentiment; the key "{Dialogue_ID}_{Utterance_ID}" finds its features. Dialogue ids restart
in every split, so an utterance's id is the key prefixed by the release's split name
('dev_0_3'). Text comes from our lexical features (`lexical.py`: token sequences 'lexical', or
the sentence embedding 'lexical_pooled') or from the release's text_glove_average_emotion.pkl
('glove', 300); audio from audio_embeddings_feature_selection_emotion.pkl (1611). Each
release pickle is a list [train, val, test] of dicts keyed like the CSVs, one vector per
utterance (a frame [1, D]).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import pathlib
from typing import Any, Callable, ClassVar, Iterator, Mapping

import numpy as np

from emorec.data import safe_pickle
from emorec.data.real import lexical, textfile
from emorec.data.real.checks import BadUtterance, numeric, row_of_key
from emorec.data.real.utterance import (LABEL, SENTIMENT, SENTIMENTS, LabelSet, Schema,
                                        Utterance)

EMOTIONS = ('neutral', 'surprise', 'fear', 'sadness', 'joy', 'disgust', 'anger')
# Our split -> the release's name for it (CSV prefix, lexical file, id prefix).
RELEASE_SPLITS = {'train': 'train', 'validation': 'dev', 'test': 'test'}
COLUMNS = ('Utterance', 'Speaker', 'Emotion', 'Sentiment', 'Dialogue_ID', 'Utterance_ID')
GLOVE_FILE = 'text_glove_average_emotion.pkl'
AUDIO_FILE = 'audio_embeddings_feature_selection_emotion.pkl'
AUDIO_DIM = 1611
TEXT_DIMS = {'lexical': 384, 'lexical_pooled': 384, 'glove': 300}


def csv_path(manual_dir: pathlib.Path, split: str) -> pathlib.Path:
  return manual_dir / f'{RELEASE_SPLITS[split]}_sent_emo.csv'


def read_rows(path: pathlib.Path) -> list[dict[str, str]]:
  """The rows of one split's CSV (UTF-8), after checking its columns and each row's fields."""
  reader = csv.DictReader(io.StringIO(textfile.read_utf8(path), newline=''))
  missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
  if missing:
    raise ValueError(f'{path}: lacks the columns {missing}, expected {list(COLUMNS)}.')
  width = len(reader.fieldnames)
  rows = []
  for row in reader:
    fields = width + len(row.get(None, ())) - sum(value is None for value in row.values())
    if fields != width:
      raise ValueError(f'{path}, line {reader.line_num}: a row of {fields} fields, expected '
                       f'{width} as in the header (a field with a comma must be quoted).')
    rows.append(row)
  if not rows:
    raise ValueError(f'{path}: no rows after the header, expected one per utterance.')
  return rows


@dataclasses.dataclass(frozen=True)
class FeatureTable:
  """One modality's features of one split: ``frames(key)`` [T, D] for each key in ``keys``."""

  source: str
  keys: frozenset[str]
  frames: Callable[[str], np.ndarray]


def lexical_table(path: pathlib.Path, pooled: bool,
                  max_array_bytes: int | None = None) -> FeatureTable:
  """Our lexical features: token sequences, or the pooled sentence embedding as one frame."""
  if not path.is_file():
    raise FileNotFoundError(f'{path}: no such file; make the lexical features with '
                            'launch/extract_meld_text.py, or choose data.release.text=glove.')
  features = lexical.read(path, max_array_bytes)
  rows = row_of_key(str(path), 'id', features.ids)
  if pooled:
    return FeatureTable(str(path), frozenset(rows), lambda key: features.pooled[rows[key]][None])
  return FeatureTable(str(path), frozenset(rows), lambda key: features.token_frames(rows[key]))


def pickle_tables(path: pathlib.Path,
                  max_array_bytes: int | None = None) -> dict[str, FeatureTable]:
  """Each split's table of a release feature pickle: a list [train, val, test] of dicts."""
  parts = safe_pickle.load(path, max_array_bytes=max_array_bytes)
  if (not isinstance(parts, (list, tuple)) or len(parts) != len(RELEASE_SPLITS)
      or not all(isinstance(p, dict) for p in parts)):
    raise ValueError(f'{path}: expected a list [train, val, test] of dicts keyed '
                     '"{Dialogue_ID}_{Utterance_ID}".')

  def table(prefix: str, part: Mapping[Any, Any]) -> FeatureTable:
    vectors = dict(zip(row_of_key(str(path), f'{prefix} key', part), part.values()))
    return FeatureTable(str(path), frozenset(vectors), lambda key: np.atleast_2d(
        numeric(str(path), f'{prefix}_{key}', 'features', vectors[key])))

  return {split: table(RELEASE_SPLITS[split], part) for split, part in zip(RELEASE_SPLITS, parts)}


def _class(source: str, uid: str, column: str, value: str, classes: tuple[str, ...]) -> int:
  name = value.strip().lower()
  if name not in classes:
    raise BadUtterance(source, uid, 'label', f'{column} {value!r}, expected one of {classes}')
  return classes.index(name)


@dataclasses.dataclass(frozen=True)
class MeldCsvRelease:
  """The MELD CSVs in the manual directory, with features from ``features_dir``.

  Attributes:
    features_dir: where the feature files are ('' for the manual directory).
    text: 'lexical' | 'lexical_pooled' | 'glove' | '' (no text).
    audio: whether to read audio_embeddings_feature_selection_emotion.pkl.
    dims: overrides of the feature dimensions (TEXT_DIMS, AUDIO_DIM).
  """

  features_dir: str = ''
  text: str = 'lexical'
  audio: bool = False
  dims: Mapping[str, int] = dataclasses.field(default_factory=dict)

  corpus: ClassVar[str] = 'meld'
  zero_neg_inf: ClassVar[tuple[str, ...]] = ()

  def schema(self) -> Schema:
    if self.text not in (*TEXT_DIMS, ''):
      raise ValueError(f'data.release.text must be one of {[*TEXT_DIMS, ""]}, got {self.text!r}.')
    defaults = {**({'text': TEXT_DIMS[self.text]} if self.text else {}),
                **({'audio': AUDIO_DIM} if self.audio else {})}
    if not defaults:
      raise ValueError('MELD needs a modality: set data.release.text or data.release.audio.')
    return Schema(modality_dims={m: self.dims.get(m, dim) for m, dim in defaults.items()},
                  label_sets={LABEL: LabelSet(EMOTIONS), SENTIMENT: LabelSet(SENTIMENTS)})

  def read(self, manual_dir: pathlib.Path, max_array_bytes: int | None = None
           ) -> dict[str, Iterator[Utterance | BadUtterance]]:
    features_dir = pathlib.Path(self.features_dir) if self.features_dir else manual_dir
    tables = {split: {} for split in RELEASE_SPLITS}
    if self.text == 'glove':
      for split, table in pickle_tables(features_dir / GLOVE_FILE, max_array_bytes).items():
        tables[split]['text'] = table
    elif self.text:
      for split, name in RELEASE_SPLITS.items():
        tables[split]['text'] = lexical_table(lexical.path(features_dir, name),
                                              self.text == 'lexical_pooled', max_array_bytes)
    if self.audio:
      for split, table in pickle_tables(features_dir / AUDIO_FILE, max_array_bytes).items():
        tables[split]['audio'] = table
    return {split: _utterances(csv_path(manual_dir, split), RELEASE_SPLITS[split], tables[split])
            for split in RELEASE_SPLITS}


def _utterances(path: pathlib.Path, prefix: str,
                tables: Mapping[str, FeatureTable]) -> Iterator[Utterance | BadUtterance]:
  """One split's utterances, then a problem for each feature key no row of the CSV has."""
  keys = set()
  for row in read_rows(path):
    key = f"{row['Dialogue_ID'].strip()}_{row['Utterance_ID'].strip()}"
    keys.add(key)
    yield _utterance(str(path), prefix, key, row, tables)
  for modality, table in tables.items():
    for key in sorted(table.keys - keys):
      yield BadUtterance(table.source, f'{prefix}_{key}', 'unmatched_id',
                         f'{modality} features for key {key!r} match no row of {path.name}, '
                         'expected the keys of the CSV')


def _utterance(source: str, prefix: str, key: str, row: Mapping[str, str],
               tables: Mapping[str, FeatureTable]) -> Utterance | BadUtterance:
  uid = f'{prefix}_{key}'
  try:
    for modality, table in tables.items():
      if key not in table.keys:
        raise BadUtterance(table.source, uid, 'missing_modality',
                           f'no {modality} features for key {key!r}, expected one per CSV row')
    labels = {LABEL: _class(source, uid, 'Emotion', row['Emotion'], EMOTIONS),
              SENTIMENT: _class(source, uid, 'Sentiment', row['Sentiment'], SENTIMENTS)}
    features = {m: t.frames(key) for m, t in tables.items()}
  except BadUtterance as problem:
    return problem
  return Utterance(id=uid, dialogue=f"{prefix}_{row['Dialogue_ID'].strip()}",
                   speaker=row['Speaker'].strip(), features=features, labels=labels,
                   source=source, feature_sources={m: t.source for m, t in tables.items()})
