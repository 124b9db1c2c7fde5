"""Screening of the utterances a reader yields: each problem names the file, id and expectation.

A bad utterance (wrong feature dimension, NaN or inf, an empty sequence, a label out of range,
a modality or label missing for its id, a duplicate id) either stops the build or, under the
'drop' policy, is left out and counted by reason. Releases known to hold -inf in a modality
(the COVAREP audio of CMU-MOSEI) have those values set to 0, counted per modality.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Collection

import numpy as np

from emorec.data.real.utterance import LabelSet, Schema, Utterance

POLICIES = ('error', 'drop')
REASONS = ('dimension', 'non_finite', 'empty', 'label', 'missing_modality', 'unmatched_id',
           'duplicate_id')


class BadUtterance(ValueError):
  """A problem with one utterance; ``reason`` is one of REASONS."""

  def __init__(self, source: str, uid: str, reason: str, problem: str):
    if reason not in REASONS:
      raise ValueError(f'Unknown reason {reason!r}; known: {REASONS}.')
    super().__init__(f'{source}: utterance {uid!r}: {problem}.')
    self.reason = reason


def checked_frames(source: str, uid: str, modality: str, frames: np.ndarray, dim: int, *,
                   zero_neg_inf: bool) -> tuple[np.ndarray, bool]:
  """Float32 frames [T, dim] and whether -inf values were set to 0 (only if ``zero_neg_inf``)."""
  frames = np.asarray(frames, np.float32)
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
    row = np.asarray(value, np.float32)
    if row.shape != (count,) or not np.all((row == 0) | (row == 1)):
      raise BadUtterance(source, uid, 'label',
                         f'{field} is {row.tolist()}, expected {count} values in {{0, 1}}')
    return row
  if not isinstance(value, (int, np.integer)) or not 0 <= value < count:
    raise BadUtterance(source, uid, 'label',
                       f'{field} is {value!r}, expected a class index in [0, {count})')
  return int(value)


def checked_utterance(utterance: Utterance, schema: Schema,
                      zero_neg_inf: Collection[str]) -> tuple[Utterance, tuple[str, ...]]:
  """The utterance with checked features and labels, and the modalities whose -inf were zeroed."""
  source, uid = utterance.source, utterance.id
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
