"""Any text corpus: utterances in CSV, TSV or JSONL files, with the features extracted from them.

A ``TextSpec`` names the files and their columns. ``files`` maps a *part* name to a file:
a part named after a split ('train', 'validation' or 'test'; 'dev' and 'val' mean
'validation') holds that split, and a part named '*' holds every split, each row's in the
``split`` column (rows whose split is empty, or files without the column, go to
``default_split``). The format follows the extension: .csv, .tsv, .jsonl (one JSON object per
line). Columns (``columns`` overrides the defaults, '' leaves one out):

  text      the utterance (required)
  label     its emotion; several separated by ``label_separator`` make a multi-label corpus
  speaker, dialogue, split
  id        its unique id within the file; without one, the row number (1 = first row).
            ``id_template`` builds it from other columns instead, e.g. MELD's
            '{Dialogue_ID}_{Utterance_ID}'.

The label set is ``labels`` when given (a row with another label is an error), else every
label of the files, sorted. Features (``features_dir``, written by launch/extract_text.py)
are one ``{part}.npz`` per part in the format of ``emorec.data.real.lexical``, keyed by id;
``feature`` chooses the sentence embedding ('pooled', one frame) or the token embeddings
('tokens'). Bad rows (undecodable bytes, empty text, an unknown label, a duplicate id, a
missing column) raise a ``BadRow`` naming the file, row and line.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import pathlib
import re
import string
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import ml_collections
import numpy as np

if TYPE_CHECKING:
  from emorec.data.corpus import Corpus

SPLITS = ('train', 'validation', 'test')
SPLIT_ALIASES = {'train': 'train', 'training': 'train', 'validation': 'validation',
                 'dev': 'validation', 'val': 'validation', 'valid': 'validation', 'test': 'test'}
ALL_SPLITS = '*'
FORMATS = {'.csv': ',', '.tsv': '\t', '.jsonl': None}
FIELDS = ('text', 'label', 'speaker', 'dialogue', 'id', 'split')
FEATURES = ('pooled', 'tokens')


# Corpora whose files the text reader knows: their files (relative to the corpus directory),
# columns, ids and labels. MELD's parts keep the release's names, so the features of
# launch/extract_text.py --preset=meld are those configs/meld.py reads.
PRESETS = {
    'meld': {
        'files': {'train': 'train_sent_emo.csv', 'dev': 'dev_sent_emo.csv',
                  'test': 'test_sent_emo.csv'},
        'columns': {'text': 'Utterance', 'label': 'Emotion', 'speaker': 'Speaker',
                    'dialogue': 'Dialogue_ID', 'id': '', 'split': ''},
        'id_template': '{Dialogue_ID}_{Utterance_ID}',
        'labels': ('neutral', 'surprise', 'fear', 'sadness', 'joy', 'disgust', 'anger'),
    },
}


def preset(name: str, directory: str | os.PathLike[str], **overrides: Any) -> dict[str, Any]:
  """The ``data.text`` fields of a preset corpus in ``directory``, with ``overrides``."""
  if name not in PRESETS:
    raise ValueError(f'unknown preset {name!r}; known: {sorted(PRESETS)}.')
  fields = {**PRESETS[name], **overrides}
  fields['files'] = {part: str(pathlib.Path(directory, file))
                     for part, file in PRESETS[name]['files'].items()}
  return fields


class BadRow(ValueError):
  """A problem with one row of an utterance file."""

  def __init__(self, source: str, row: int, line: int, problem: str):
    super().__init__(f'{source}, row {row} (line {line}): {problem}.')


@dataclasses.dataclass(frozen=True)
class TextSpec:
  """Where a text corpus is and how its files read (see the module docstring)."""

  files: Mapping[str, str]
  columns: Mapping[str, str] = dataclasses.field(default_factory=dict)
  id_template: str = ''
  labels: tuple[str, ...] = ()
  label_separator: str = ''
  default_split: str = 'test'
  features_dir: str = ''
  feature: str = 'pooled'

  def column(self, field: str) -> str:
    """The file's column of ``field`` ('' when absent)."""
    return self.columns.get(field, field)


@dataclasses.dataclass(frozen=True)
class TextRow:
  """One utterance as read: ``label`` is '' when unlabelled, ``labels`` its label names."""

  id: str
  text: str
  labels: tuple[str, ...]
  speaker: str
  dialogue: str
  split: str
  part: str
  source: str
  row: int
  line: int


def _decoded(path: pathlib.Path) -> str:
  """The file's text, UTF-8 (a BOM allowed); undecodable bytes name their line."""
  data = path.read_bytes()
  try:
    return data.decode('utf-8-sig')
  except UnicodeDecodeError as error:
    line = data[:error.start].count(b'\n') + 1
    raise ValueError(f'{path}, line {line}: byte 0x{data[error.start]:02x} at offset '
                     f'{error.start} is not UTF-8, expected UTF-8 text (re-save the file as '
                     'UTF-8).') from None


def _records(path: pathlib.Path) -> Iterator[tuple[int, int, Mapping[str, Any]]]:
  """(row number from 1, line number, record) of each row of a CSV, TSV or JSONL file."""
  suffix = path.suffix.lower()
  if suffix not in FORMATS:
    raise ValueError(f'{path}: unknown format {suffix!r}, expected one of {sorted(FORMATS)}.')
  text = _decoded(path)
  if FORMATS[suffix] is None:
    row = 0
    for line, raw in enumerate(text.splitlines(), start=1):
      if not raw.strip():
        continue
      row += 1
      try:
        record = json.loads(raw)
      except json.JSONDecodeError as error:
        raise BadRow(str(path), row, line, f'not JSON ({error.msg}), expected one object per '
                     'line') from None
      if not isinstance(record, dict):
        raise BadRow(str(path), row, line, f'a JSON {type(record).__name__}, expected an object')
      yield row, line, record
    return
  reader = csv.DictReader(io.StringIO(text, newline=''), delimiter=FORMATS[suffix])
  line = 1
  for row, record in enumerate(reader, start=1):
    yield row, line + 1, record
    line = reader.line_num


def _cell(record: Mapping[str, Any], column: str) -> str:
  value = record.get(column) if column else None
  return '' if value is None else str(value).strip()


def read_file(path: str | os.PathLike[str], part: str, spec: TextSpec) -> list[TextRow]:
  """The rows of one file (see the module docstring), checked."""
  path = pathlib.Path(path)
  if not path.is_file():
    raise FileNotFoundError(f'{path}: no such utterance file (data.text.files[{part!r}]).')
  if part != ALL_SPLITS and part not in SPLIT_ALIASES:
    raise ValueError(f'data.text.files: part {part!r}, expected a split '
                     f'({", ".join(SPLIT_ALIASES)}) or {ALL_SPLITS!r} for a file of every split.')
  rows, seen = [], {}
  known = set(spec.labels)
  for row, line, record in _records(path):
    if row == 1:
      needed = [spec.column('text'), *(c for c in spec.columns.values() if c),
                *_template_columns(spec.id_template)]
      needed = list(dict.fromkeys(needed))
      missing = [c for c in needed if c not in record]
      if missing:
        raise BadRow(str(path), row, line, f'no column {missing}, expected the columns '
                     f'{needed} (it has {sorted(record)})')
    where = (str(path), row, line)
    text = _cell(record, spec.column('text'))
    if not text:
      raise BadRow(*where, f'empty text in column {spec.column("text")!r}')
    uid = (spec.id_template.format(**{k: _cell(record, k) for k in
                                      _template_columns(spec.id_template)})
           if spec.id_template else _cell(record, spec.column('id')) or str(row))
    if uid in seen:
      raise BadRow(*where, f'duplicate id {uid!r} (first at row {seen[uid]}), expected unique ids')
    seen[uid] = row
    cell = _cell(record, spec.column('label'))
    names = tuple(n.strip().lower() for n in
                  (cell.split(spec.label_separator) if spec.label_separator else [cell])
                  if n.strip())
    unknown = [n for n in names if known and n not in known]
    if unknown:
      raise BadRow(*where, f'label {unknown[0]!r}, expected one of {list(spec.labels)}')
    split = _split_of(part, _cell(record, spec.column('split')), spec.default_split, where)
    rows.append(TextRow(uid, text, names, _cell(record, spec.column('speaker')),
                        _cell(record, spec.column('dialogue')), split,
                        part if part != ALL_SPLITS else split, str(path), row, line))
  if not rows:
    raise ValueError(f'{path}: no utterances, expected a header and at least one row.')
  return rows


def _template_columns(template: str) -> list[str]:
  return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _split_of(part: str, value: str, default: str, where: tuple[str, int, int]) -> str:
  if part != ALL_SPLITS:
    return SPLIT_ALIASES[part]
  if not value:
    return SPLIT_ALIASES[default]
  if value.lower() not in SPLIT_ALIASES:
    raise BadRow(*where, f'split {value!r}, expected one of {", ".join(SPLIT_ALIASES)}')
  return SPLIT_ALIASES[value.lower()]


def read_rows(spec: TextSpec) -> list[TextRow]:
  """Every row of every file of ``spec``, in file order."""
  if not spec.files:
    raise ValueError('data.text.files is empty: name the utterance files.')
  if spec.feature not in FEATURES:
    raise ValueError(f'data.text.feature must be one of {FEATURES}, got {spec.feature!r}.')
  return [row for part, path in spec.files.items() for row in read_file(path, part, spec)]


def label_set(spec: TextSpec, rows: Sequence[TextRow]) -> tuple[str, ...]:
  """The given labels, or every label the rows carry, sorted."""
  return tuple(spec.labels) or tuple(sorted({n for r in rows for n in r.labels}))


def _features(spec: TextSpec, rows: Sequence[TextRow]) -> list[np.ndarray]:
  """Frames [T, D] of each row, from the features file of its part."""
  from emorec.data.real import lexical  # pylint: disable=import-outside-toplevel
  if not spec.features_dir:
    raise ValueError('data.text.features_dir is not set: extract the features with '
                     'launch/extract_text.py and name its output directory.')
  frames = []
  tables = {}
  for row in rows:
    if row.part not in tables:
      file = lexical.path(spec.features_dir, row.part)
      if not file.is_file():
        raise FileNotFoundError(f'{file}: no such features file for {row.source}; extract it '
                                'with launch/extract_text.py.')
      features = lexical.read(file)
      tables[row.part] = (file, features, {str(k): i for i, k in enumerate(features.ids)})
    file, features, index = tables[row.part]
    if row.id not in index:
      raise BadRow(row.source, row.row, row.line, f'id {row.id!r} has no features in {file}, '
                   'expected one entry per row (extract the features again)')
    position = index[row.id]
    frames.append(features.pooled[position][None] if spec.feature == 'pooled'
                  else features.token_frames(position))
  return frames


def build_corpus(spec: TextSpec, *, name: str = 'text',
                 required_splits: Sequence[str] = SPLITS) -> Corpus:
  """The corpus of ``spec``: text features, labels and ids of every split."""
  # Imported here: reading and extracting the files needs no TensorFlow.
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from emorec.data.corpus import Corpus, Split  # pylint: disable=import-outside-toplevel
  from emorec.data.real import store  # pylint: disable=import-outside-toplevel

  rows = read_rows(spec)
  labels = label_set(spec, rows)
  multi_label = bool(spec.label_separator)
  splits_present = [s for s in SPLITS if any(r.split == s for r in rows)]
  missing = [s for s in required_splits if s not in splits_present]
  if missing:
    raise ValueError(f'data.text.files: no rows of the split(s) {missing}; the files '
                     f'{dict(spec.files)} hold {splits_present}.')
  for row in rows:
    if not row.labels and labels:
      raise BadRow(row.source, row.row, row.line,
                   f'no label in column {spec.column("label")!r}, expected one of {list(labels)}')
  frames = _features(spec, rows)
  dims = {f.shape[1] for f in frames}
  if len(dims) != 1:
    raise ValueError(f'the features of {sorted(spec.files.values())} have dimensions '
                     f'{sorted(dims)}, expected one.')
  speakers = np.unique([r.speaker for r in rows], return_inverse=True)[1]
  tensors = store.FrameTensors(
      frames={'text': tf.constant(np.concatenate(frames).astype(np.float32))},
      offsets={'text': tf.constant(np.concatenate([[0], np.cumsum([len(f) for f in frames])])
                                   .astype(np.int64))})
  if multi_label:
    targets = np.array([[float(n in r.labels) for n in labels] for r in rows], np.float32)
  else:
    targets = np.array([labels.index(r.labels[0]) if r.labels else 0 for r in rows], np.int32)
  label_key = 'labels' if multi_label else 'label'
  splits = {}
  for split in splits_present:
    index = np.array([i for i, r in enumerate(rows) if r.split == split], np.int64)
    splits[split] = Split(
        labels=targets[index],
        example_fn=store.make_example_fn(tensors, index, label_key, targets[index],
                                         speakers[index]),
        ids=np.array([rows[i].id for i in index], dtype=str))
  info = {'files': dict(spec.files), 'examples': {s: sp.num_examples for s, sp in splits.items()},
          'labelled': all(r.labels for r in rows)}
  return Corpus(name=name, emotions=labels, modality_dims={'text': dims.pop()},
                multi_label=multi_label, splits=splits, info=info)


def pairs(text: str) -> dict[str, str]:
  """'a=x+b=y' (or 'a=x,b=y') -> {'a': 'x', 'b': 'y'}."""
  result = {}
  for item in filter(None, re.split(r'[+,]', text)):
    key, sep, value = item.partition('=')
    if not sep:
      raise ValueError(f'{item!r} in {text!r}: expected NAME=VALUE.')
    result[key.strip()] = value.strip()
  return result


def spec_fields(files: str = '', *, preset_name: str = '', input_dir: str = '',
                columns: str = '', labels: str = '', **fields: Any) -> dict[str, Any]:
  """``data.text`` from strings: ``files`` 'PATH' (every split) or 'PART=PATH+PART=PATH',
  or a preset's files in ``input_dir``; ``columns`` 'FIELD=COLUMN+...'; ``labels`` 'a+b';
  ``fields`` the other ``TextSpec`` fields (empty strings leave their defaults)."""
  if bool(preset_name) == bool(files):
    raise ValueError('name the utterance files or a preset, not both or neither.')
  result = (preset(preset_name, input_dir) if preset_name
            else {'files': pairs(files) if '=' in files else {ALL_SPLITS: files}})
  result['columns'] = {**result.get('columns', {}), **pairs(columns)}
  if labels:
    result['labels'] = tuple(filter(None, re.split(r'[+,]', labels)))
  result.update({k: v for k, v in fields.items() if v != ''})
  return dataclasses.asdict(spec_of(result))


def spec_of(text_config: Mapping[str, Any]) -> TextSpec:
  """The ``TextSpec`` of ``data.text`` (a ConfigDict or a dict)."""
  values = dict(text_config.to_dict() if isinstance(text_config, ml_collections.ConfigDict)
                else text_config)
  unknown = sorted(set(values) - {f.name for f in dataclasses.fields(TextSpec)})
  if unknown:
    raise ValueError(f'data.text has unknown field(s) {unknown}; known: '
                     f'{[f.name for f in dataclasses.fields(TextSpec)]}.')
  bad = sorted(set(values.get('columns', {})) - set(FIELDS))
  if bad:
    raise ValueError(f'data.text.columns names {bad}; the fields are {list(FIELDS)}.')
  values['labels'] = tuple(values.get('labels', ()))
  return TextSpec(**values)


def load_text_corpus(data_config: ml_collections.ConfigDict) -> Corpus:
  """The corpus of ``data.text`` (every split required)."""
  return build_corpus(spec_of(data_config.text))
