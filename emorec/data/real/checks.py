"""Screening of the utterances a reader yields: each problem names the file, id and expectation.

A bad utterance (wrong feature dimension, features that are not numbers, NaN or inf, an empty
sequence, a label out of range or NaN, a modality or label missing for its id, a duplicate id,
an id, speaker or dialogue that is not a clean string, frames whose time intervals are not
sane) either stops the build or, under the 'drop' policy, is left out and counted by reason.
Releases known to hold -inf in a modality (the COVAREP audio of CMU-MOSEI) have those values
set to 0, counted per modality. The readers share the helpers here for the values they parse
(ids, numbers, label ranges, keys that must be unique), so each check exists once.
"""

from __future__ import annotations

import collections
import dataclasses
import reprlib
import unicodedata
from typing import Any, Collection, Iterable

import numpy as np

from emorec.data.real.utterance import LabelSet, Schema, Utterance

POLICIES = ('error', 'drop')
REASONS = ('dimension', 'type', 'non_finite', 'empty', 'label', 'missing_modality',
           'unmatched_id', 'duplicate_id', 'text', 'intervals')
# Unicode categories refused in ids, speakers and dialogues: control characters (NUL, tab,
# newline, ...) and lone surrogates.
_REFUSED_CATEGORIES = ('Cc', 'Cs')


def _short_repr() -> reprlib.Repr:
  """A repr of untrusted values that stays short and never recurses deeply."""
  short = reprlib.Repr()
  short.maxlevel, short.maxstring, short.maxother = 2, 40, 40
  return short


_REPR = _short_repr()


def shown(value: Any) -> str:
  """A short repr of a value read from a file, safe for deeply nested data."""
  return _REPR.repr(value)


class BadUtterance(ValueError):
  """A problem with one utterance; ``reason`` is one of REASONS."""

  def __init__(self, source: str, uid: str, reason: str, problem: str):
    if reason not in REASONS:
      raise ValueError(f'Unknown reason {reason!r}; known: {REASONS}.')
    super().__init__(f'{source}: utterance {uid!r}: {problem}.')
    self.reason = reason


def id_text(source: str, where: str, value: Any) -> str:
  """A release's id value as text: a string, UTF-8 bytes or an integer; anything else (a
  nested list, a float, undecodable bytes) is a BadUtterance ('text') named ``where``."""
  if isinstance(value, bytes):
    try:
      return value.decode('utf-8')
    except UnicodeDecodeError:
      raise BadUtterance(source, where, 'text', f'id {shown(value)} is not UTF-8, expected '
                         'UTF-8 text') from None
  if isinstance(value, (bool, np.bool_)) or not isinstance(value, (str, int, np.integer)):
    raise BadUtterance(source, where, 'text', f'id is a {type(value).__name__} '
                       f'{shown(value)}, expected a string or an integer')
  return str(value)


def checked_text(source: str, uid: str, field: str, value: Any) -> str:
  """An id, speaker or dialogue: a non-empty string without control characters."""
  if not isinstance(value, str) or not value:
    raise BadUtterance(source, uid, 'text', f'{field} is {shown(value)}, expected a non-empty '
                       'string')
  bad = next((c for c in value if unicodedata.category(c) in _REFUSED_CATEGORIES), None)
  if bad is not None:
    raise BadUtterance(source, uid, 'text', f'{field} {value!r} holds the control character '
                       f'U+{ord(bad):04X}, expected printable text')
  return value


def numeric(source: str, uid: str, what: str, value: Any) -> np.ndarray:
  """``value`` as a float32 array; strings, ragged or nested rows are a BadUtterance ('type')."""
  try:
    array = np.asarray(value)
    if array.dtype.kind not in 'biufO':
      raise TypeError(array.dtype)
    return array.astype(np.float32, copy=False)
  except (TypeError, ValueError, RecursionError):
    kind = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
    raise BadUtterance(source, uid, 'type', f'{what} are a {kind} {shown(value)}, expected '
                       'numbers') from None


def in_range(source: str, uid: str, what: str, values: Any, low: float,
             high: float) -> np.ndarray:
  """Float64 ``values`` after checking that they are finite and within [low, high]."""
  row = numeric(source, uid, what, values).astype(np.float64)
  bad = ~(np.isfinite(row) & (row >= low) & (row <= high))
  if bad.any():
    raise BadUtterance(source, uid, 'label', f'{what} {row.tolist()} hold '
                       f'{row[bad].tolist()[0]}, expected finite values in [{low:g}, {high:g}]')
  return row


def row_of_key(source: str, what: str, keys: Iterable[Any]) -> dict[str, int]:
  """The row of each key (as text, ``id_text``); a key that repeats is a ValueError naming
  the file, the key and both rows (it would make one utterance's features ambiguous)."""
  rows: dict[str, int] = {}
  for row, key in enumerate(keys):
    text = id_text(source, f'{what} row {row}', key)
    if text in rows:
      raise ValueError(f'{source}: {what} {text!r} appears at rows {rows[text]} and {row}, '
                       'expected unique ids.')
    rows[text] = row
  return rows


def checked_frames(source: str, uid: str, modality: str, frames: np.ndarray, dim: int, *,
                   zero_neg_inf: bool) -> tuple[np.ndarray, bool]:
  """Float32 frames [T, dim] and whether -inf values were set to 0 (only if ``zero_neg_inf``)."""
  frames = numeric(source, uid, f'{modality} features', frames)
  if frames.ndim != 2 or frames.shape[1] != dim:
    raise BadUtterance(source, uid, 'dimension',
                       f'{modality} features have shape {list(frames.shape)}, expected [T, {dim}]')
  if frames.shape[0] == 0:
    raise BadUtterance(source, uid, 'empty', f'{modality} features are empty, expected T >= 1')
  neg_inf = np.isneginf(frames)
  zeroed = bool(zero_neg_inf and neg_inf.any())
  if zeroed:
    frames = np.where(neg_inf, np.float32(0), frames)
  bad = ~np.isfinite(frames)
  if bad.any():
    frame, column = np.argwhere(bad)[0]
    raise BadUtterance(source, uid, 'non_finite',
                       f'{modality} features hold {int(bad.sum())} NaN/inf values (first '
                       f'{frames[frame, column]} at frame {frame}, column {column}), expected '
                       'finite values')
  return frames, zeroed


def checked_label(source: str, uid: str, field: str, value: int | np.ndarray,
                  label_set: LabelSet) -> int | np.ndarray:
  """The label as stored: an int class index, or a float32 multi-hot row of {0, 1}."""
  count = len(label_set.classes)
  if label_set.multi_label:
    row = numeric(source, uid, field, value)
    if row.shape != (count,) or not np.all((row == 0) | (row == 1)):
      raise BadUtterance(source, uid, 'label',
                         f'{field} is {row.tolist()}, expected {count} values in {{0, 1}}')
    return row
  if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
      or not 0 <= value < count):
    raise BadUtterance(source, uid, 'label',
                       f'{field} is {shown(value)}, expected a class index in [0, {count})')
  return int(value)


def checked_utterance(utterance: Utterance, schema: Schema,
                      zero_neg_inf: Collection[str]) -> tuple[Utterance, tuple[str, ...]]:
  """The utterance with checked features and labels, and the modalities whose -inf were zeroed."""
  source, uid = utterance.source, utterance.id
  shown_uid = uid if isinstance(uid, str) else shown(uid)
  for field in ('id', 'speaker', 'dialogue'):
    checked_text(source, shown_uid, field, getattr(utterance, field))
  features, zeroed = {}, []
  for modality, dim in schema.modality_dims.items():
    if modality not in utterance.features:
      raise BadUtterance(source, uid, 'missing_modality',
                         f'no {modality} features for this id, expected every modality of the '
                         f'release ({", ".join(schema.modality_dims)})')
    features[modality], was_zeroed = checked_frames(
        utterance.feature_sources.get(modality, source), uid, modality,
        utterance.features[modality], dim, zero_neg_inf=modality in zero_neg_inf)
    if was_zeroed:
      zeroed.append(modality)
  labels = {}
  for field, label_set in schema.label_sets.items():
    if field not in utterance.labels:
      raise BadUtterance(source, uid, 'label', f'no {field}, expected one for every utterance')
    labels[field] = checked_label(source, uid, field, utterance.labels[field], label_set)
  return dataclasses.replace(utterance, features=features, labels=labels), tuple(zeroed)


@dataclasses.dataclass
class Screen:
  """Checks the utterances of one build in turn, under the policy 'error' or 'drop'.

  Attributes:
    schema: what every utterance must hold.
    policy: 'error' raises the first problem; 'drop' leaves bad utterances out, counted.
    zero_neg_inf: modalities whose -inf values are set to 0 (releases known to hold them).
    dropped: count of dropped utterances by reason.
    zeroed: count of utterances whose -inf values were set to 0, by modality.
    seen: ids admitted so far (ids must be unique across the whole release).
  """

  schema: Schema
  policy: str = 'error'
  zero_neg_inf: tuple[str, ...] = ()
  dropped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
  zeroed: collections.Counter = dataclasses.field(default_factory=collections.Counter)
  seen: set = dataclasses.field(default_factory=set)

  def __post_init__(self):
    if self.policy not in POLICIES:
      raise ValueError(f'data.on_bad_utterance must be one of {POLICIES}, got {self.policy!r}.')

  def admit(self, item: Utterance | BadUtterance) -> Utterance | None:
    """The checked utterance, or None when it was dropped; raises a problem under 'error'."""
    try:
      if isinstance(item, BadUtterance):
        raise item
      if item.id in self.seen:
        raise BadUtterance(item.source, item.id, 'duplicate_id',
                           'this id appeared before, expected unique utterance ids')
      utterance, zeroed = checked_utterance(item, self.schema, self.zero_neg_inf)
    except BadUtterance as problem:
      if self.policy == 'error':
        raise
      self.dropped[problem.reason] += 1
      return None
    self.seen.add(utterance.id)
    self.zeroed.update(zeroed)
    return utterance

  def report(self) -> dict[str, dict[str, int]]:
    """{'dropped': {reason: count}, 'neg_inf_zeroed': {modality: utterances}}."""
    return {'dropped': dict(sorted(self.dropped.items())),
            'neg_inf_zeroed': dict(sorted(self.zeroed.items()))}
