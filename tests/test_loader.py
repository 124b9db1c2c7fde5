"""Corpora are checked before training: bad dimensions, missing splits and NaN get clear errors."""

import dataclasses

import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from configs import synthetic as synthetic_config
from emorec.data import loader
from emorec.data.corpus import Corpus, Split
from emorec.training import train


def _split(dim: int, value: float = 0.0) -> Split:
  def example_fn(index):
    return {'text': tf.fill([3, dim], value), 'label': tf.constant(0, tf.int32), 'index': index}

  return Split(labels=np.zeros(8, np.int64), example_fn=example_fn)


def _corpus(dim: int = 4, declared: int = 4, value: float = 0.0) -> Corpus:
  splits = {name: _split(dim, value) for name in loader.REQUIRED_SPLITS}
  return Corpus(name='toy', emotions=('calm', 'angry'), modality_dims={'text': declared},
                multi_label=False, splits=splits)


def test_a_consistent_corpus_passes():
  loader.validate_corpus(_corpus())


def test_wrong_feature_dimension_is_named():
  with pytest.raises(ValueError, match=r"'toy', split 'train': 'text' features have shape .*"
                     r'expected \[T, 5\]'):
    loader.validate_corpus(_corpus(dim=4, declared=5))


def test_missing_split_is_named():
  corpus = dataclasses.replace(_corpus(), splits={'train': _split(4)})
  with pytest.raises(ValueError, match=r"lacks split\(s\) \['validation', 'test'\]"):
    loader.validate_corpus(corpus)


def test_unknown_corpus_name():
  with pytest.raises(ValueError, match=r"unknown corpus \(data.name\) 'iemocap9'"):
    loader.load_corpus(ml_collections.ConfigDict({'name': 'iemocap9'}))


def test_nan_features_stop_training_with_a_clear_error(tmp_path, monkeypatch):
  config = synthetic_config.get_config('smoke')
  config.model.modalities = ('text',)
  monkeypatch.setattr(loader, 'load_corpus', lambda _: _corpus(value=np.nan))
  with pytest.raises(ValueError, match='Bad input data: .*NaN or inf in the text features'):
    train.train_and_evaluate(config, str(tmp_path), quiet=True)
