"""Augmented views: padding stays exact, frames keep their order, draws follow the key."""

import jax
import ml_collections
import numpy as np
import pytest

from emorec.objectives.views import ViewOptions, augment
from tests.padded_batches import LENGTHS, padded_features

STRONG = ViewOptions(noise=0.5, frame_dropout=0.5, modality_dropout=0.5)
MODALITIES = tuple(LENGTHS)


def view(options, seed=0, batch_seed=0):
  return jax.device_get(augment(padded_features(batch_seed), jax.random.key(seed), options))


def assert_padding_exact(batch):
  for m in MODALITIES:
    mask = batch[f'{m}_mask']
    assert np.all(np.isfinite(batch[m]))
    assert np.all(batch[m][mask == 0] == 0), m
    assert np.all(np.diff(mask, axis=1) <= 0), f'{m}: the mask is not a prefix'


@pytest.mark.parametrize('options', [
    STRONG, ViewOptions(frame_dropout=0.9), ViewOptions(modality_dropout=0.9),
    ViewOptions(noise=1.0)], ids=['strong', 'frames', 'modalities', 'noise'])
def test_views_keep_the_padding_exact(options):
  original = padded_features(0)
  for seed in range(3):
    out = view(options, seed)
    assert_padding_exact(out)
    for m in MODALITIES:
      absent = original[f'{m}_mask'].sum(1) == 0
      assert np.all(out[f'{m}_mask'][absent] == 0)
      assert np.all(out[f'{m}_mask'].sum(1) <= original[f'{m}_mask'].sum(1))
    np.testing.assert_array_equal(out['valid'], original['valid'])


def test_frame_dropout_keeps_an_ordered_subsequence_and_a_frame():
  original, out = padded_features(0), view(ViewOptions(frame_dropout=0.6), seed=4)
  dropped_some = False
  for m in MODALITIES:
    kept, before = out[f'{m}_mask'].sum(1), original[f'{m}_mask'].sum(1)
    np.testing.assert_array_equal(kept > 0, before > 0)  # a present modality keeps a frame
    dropped_some |= bool(np.any(kept < before))
    for row in range(len(kept)):
      frames = out[m][row, :int(kept[row])]
      positions = [int(np.flatnonzero(np.all(original[m][row] == f, axis=1))[0]) for f in frames]
      assert positions == sorted(set(positions)), (m, row, positions)
  assert dropped_some


def test_modality_dropout_never_removes_every_modality():
  original, out = padded_features(1), view(ViewOptions(modality_dropout=0.95), seed=2, batch_seed=1)
  had = np.stack([original[f'{m}_mask'].sum(1) > 0 for m in MODALITIES], 1)
  has = np.stack([out[f'{m}_mask'].sum(1) > 0 for m in MODALITIES], 1)
  assert np.all(has <= had)
  np.testing.assert_array_equal(has.sum(1), np.minimum(had.sum(1), 1))
  for m in MODALITIES:  # a kept modality keeps all its frames, untouched
    kept = has[:, MODALITIES.index(m)]
    np.testing.assert_array_equal(out[m][kept], np.nan_to_num(original[m][kept]))


def test_noise_touches_real_frames_only_with_its_std():
  original, out = padded_features(2), view(ViewOptions(noise=2.0), seed=5, batch_seed=2)
  differences = []
  for m in MODALITIES:
    mask = original[f'{m}_mask'] > 0
    np.testing.assert_array_equal(out[f'{m}_mask'], original[f'{m}_mask'])
    differences.append((out[m] - original[m])[mask].ravel())
  assert np.std(np.concatenate(differences)) == pytest.approx(2.0, rel=0.15)


def test_views_are_deterministic_given_the_key():
  first, again, other = view(STRONG, 7), view(STRONG, 7), view(STRONG, 8)
  for key in first:
    np.testing.assert_array_equal(first[key], again[key])
  assert any(not np.array_equal(first[m], other[m]) for m in MODALITIES)


def test_the_empty_view_is_the_batch():
  original, out = padded_features(3), view(ViewOptions(), batch_seed=3)
  for m in MODALITIES:
    np.testing.assert_array_equal(out[f'{m}_mask'], original[f'{m}_mask'])
    np.testing.assert_array_equal(out[m], np.nan_to_num(original[m]))


@pytest.mark.parametrize('field, value', [('noise', -1.0), ('frame_dropout', 1.0),
                                          ('modality_dropout', -0.1)])
def test_bad_view_options_name_the_field(field, value):
  options = ml_collections.ConfigDict(ViewOptions()._asdict())
  options[field] = value
  with pytest.raises(ValueError, match=f'pseudo_label.weak.{field}'):
    ViewOptions.from_config(options, 'pseudo_label.weak')
