"""Each release reader on tiny files in its exact format: ids, splits, labels, frames."""

import json

import h5py
import numpy as np
import pytest

from emorec.data.real import csd, lexical, mosei
from tests import real_fixtures as files

pytest_plugins = ('tests.real_fixtures',)


def _by_id(utterances):
  return {u.id: u for split in utterances.values() for u in split}


def test_csd_takes_the_frames_overlapping_a_segment():
  intervals = np.array([[0.0, 0.5], [0.5, 1.0], [1.0, 1.5], [1.5, 2.0]])
  features = np.arange(4.0)[:, None]
  np.testing.assert_array_equal(csd.overlapping(features, intervals, 0.6, 1.2), [[1.0], [2.0]])
  np.testing.assert_array_equal(csd.overlapping(features, intervals, 0.5, 1.0), [[1.0]])
  assert csd.overlapping(features, intervals, 2.0, 3.0).shape == (0, 1)


def test_csd_layout_errors_name_the_file_and_group(release_dir):
  path = release_dir / 'bad.csd'
  with h5py.File(path, 'w') as file:
    file['root/data/v1/features'] = np.zeros((2, 3))
  with csd.ComputationalSequence(path) as sequence:
    with pytest.raises(ValueError, match=r"bad.csd: /root/data/v1 lacks \['intervals'\]"):
      _ = sequence['v1']
  with h5py.File(path, 'w') as file:
    file['a/x'] = np.zeros(1)
    file['b/x'] = np.zeros(1)
  with pytest.raises(ValueError, match=r"bad.csd: top-level groups \['a', 'b'\]"):
    csd.ComputationalSequence(path)


def test_mosei_csd_segments_labels_and_alignment(release_dir):
  files.write_mosei_csd(release_dir)
  files.write_mosei_folds(release_dir)
  utterances, screen = files.screened('mosei', 'csd', release_dir, dims=files.SMALL_DIMS)
  assert {split: [u.id for u in us] for split, us in utterances.items()} == {
      'train': ['videoA[0]', 'videoA[1]'], 'validation': ['videoB[0]'], 'test': ['videoC[0]']}
  first, second = utterances['train']
  np.testing.assert_array_equal(first.labels['labels'], [1, 0, 0, 1, 0, 0])
  np.testing.assert_array_equal(second.labels['labels'], [0, 1, 1, 0, 0, 0])
  assert (first.labels['sentiment'], second.labels['sentiment']) == (1, 2)
  assert utterances['validation'][0].labels['sentiment'] == 0
  # Segment [0, 2): words every 0.5 s, COVAREP every 0.1 s, FACET every 0.25 s.
  assert {m: len(f) for m, f in first.features.items()} == {'text': 4, 'audio': 20, 'vision': 8}
  # The first COVAREP frame of every video holds -inf: videoA[0] and videoB[0] include it.
  assert first.features['audio'][0, 0] == 0
  assert screen.report()['neg_inf_zeroed'] == {'audio': 2}


def test_mosei_without_folds_splits_videos_by_hash(release_dir):
  files.write_mosei_csd(release_dir)
  utterances, _ = files.screened('mosei', 'csd', release_dir, dims=files.SMALL_DIMS)
  for split, us in utterances.items():
    assert all(mosei.hashed_split(u.dialogue) == split for u in us)
  assert sum(map(len, utterances.values())) == 4


def test_mult_iemocap_strips_padding_and_reads_one_hot_labels(release_dir):
  files.write_pickle(release_dir / 'iemocap_data.pkl', files.mult_iemocap())
  utterances, screen = files.screened('iemocap', 'mult', release_dir, dims=files.SMALL_DIMS)
  assert {split: len(us) for split, us in utterances.items()} == {
      'train': 4, 'validation': 2, 'test': 2}
  train = utterances['train']
  assert [len(u.features['text']) for u in train] == [2, 3, 4, 2]
  assert [u.labels['label'] for u in train] == [0, 1, 2, 3]
  assert train[1].id == 'Ses02F_impro01_M001' and train[1].speaker == 'Ses02M'
  assert train[1].dialogue == 'Ses02F_impro01'
  assert screen.report()['neg_inf_zeroed'] == {'audio': 3}


def test_mult_mosei_reads_sentiment(release_dir):
  release = files.mult_mosei()
  del release['test']['id']
  files.write_pickle(release_dir / 'mosei_senti_data.pkl', release)
  utterances, _ = files.screened('mosei', 'mult', release_dir, dims=files.SMALL_DIMS)
  assert [u.labels['sentiment'] for u in utterances['train']] == [1, 2, 0]
  assert utterances['train'][0].id == 'trainvideo0_0.0_1.0'
  assert utterances['train'][0].dialogue == 'trainvideo0'
  assert utterances['test'][0].id == 'test_0'


def test_conv_emotion_iemocap_dialogues(release_dir):
  files.write_pickle(release_dir / 'IEMOCAP_features.pkl', files.conv_emotion_iemocap())
  utterances, _ = files.screened('iemocap', 'conv_emotion', release_dir, dims=files.SMALL_DIMS)
  assert {split: len(us) for split, us in utterances.items()} == {'train': 24, 'test': 6}
  first = utterances['train'][1]
  assert first.id == 'Ses01F_impro01_M001' and first.speaker == 'Ses01M'
  assert first.labels == {'label': 3}
  assert {m: f.shape for m, f in first.features.items()} == {
      'text': (1, 4), 'audio': (1, 3), 'vision': (1, 2)}
  assert all(u.id.startswith('Ses05') for u in utterances['test'])


def test_conv_emotion_meld_emotion_and_sentiment(release_dir):
  files.write_pickle(release_dir / 'MELD_features_raw.pkl', files.conv_emotion_meld())
  utterances, _ = files.screened('meld', 'conv_emotion', release_dir,
                                 dims={'text': 6, 'audio': 5})
  test = utterances['test']
  assert [u.id for u in test] == ['3_0', '3_1'] and [u.speaker for u in test] == ['3/0', '3/1']
  assert [u.labels for u in test] == [{'label': 3, 'sentiment': 0},
                                      {'label': 6, 'sentiment': 1}]


def test_meld_csv_with_lexical_tokens(meld_dir):
  utterances, _ = files.screened('meld', 'csv', meld_dir, text='lexical')
  assert {split: len(us) for split, us in utterances.items()} == {
      'train': 6, 'validation': 2, 'test': 2}
  train = utterances['train']
  assert [u.id for u in train[:2]] == ['train_0_0', 'train_0_1']
  assert utterances['validation'][0].id == 'dev_0_0'
  assert [u.labels['label'] for u in train] == [4, 6, 0, 1, 5, 3]
  assert [u.labels['sentiment'] for u in train] == [1, 2, 0, 1, 2, 2]
  assert [u.speaker for u in train[:2]] == ['Joey', 'Rachel']
  assert [u.features['text'].shape for u in train[:3]] == [(2, 384), (3, 384), (4, 384)]
  stored = lexical.read(lexical.path(meld_dir, 'train'))
  np.testing.assert_array_equal(train[1].features['text'], stored.token_frames(1))


def test_meld_csv_with_release_pickles(meld_dir):
  utterances, _ = files.screened('meld', 'csv', meld_dir, text='glove', audio=True,
                                 dims=files.MELD_DIMS | {'text': files.MELD_DIMS['glove']})
  last = utterances['test'][1]
  vectors = files.meld_vectors(files.MELD_DIMS['audio'], 2)
  np.testing.assert_array_equal(last.features['audio'], vectors[2]['0_1'][None])
  assert last.features['text'].shape == (1, files.MELD_DIMS['glove'])


def test_meld_pooled_lexical_features(meld_dir):
  utterances, _ = files.screened('meld', 'csv', meld_dir, text='lexical_pooled')
  stored = lexical.read(lexical.path(meld_dir, 'dev'))
  np.testing.assert_array_equal(utterances['validation'][1].features['text'], stored.pooled[1:2])


def test_lexical_files_are_checked(tmp_path):
  path = tmp_path / 'train.npz'
  features = lexical.pack(['0_0', '0_1'], np.zeros((2, 4)), [np.ones((3, 4)), np.ones((60, 4))],
                          'm', max_tokens=50)
  assert features.offsets.tolist() == [0, 3, 53] and features.tokens.dtype == np.float16
  lexical.write(path, features)
  np.testing.assert_array_equal(lexical.read(path).token_frames(1), np.ones((50, 4)))
  arrays = dict(np.load(path))
  np.savez(path, **(arrays | {'offsets': np.array([0, 3, 40])}))
  with pytest.raises(ValueError, match=r'train.npz: offsets has shape \[3\], expected'):
    lexical.read(path)
  np.savez(path, **{k: v for k, v in arrays.items() if k != 'pooled'})
  with pytest.raises(ValueError, match=r"train.npz: lacks \['pooled'\]"):
    lexical.read(path)


def test_unknown_reader_options_are_named(release_dir):
  with pytest.raises(ValueError, match=r"unknown option\(s\) \['dim'\] for the iemocap/mult"):
    files.screened('iemocap', 'mult', release_dir, dim=3)


def test_mosei_folds_file_is_checked(release_dir):
  files.write_mosei_csd(release_dir)
  (release_dir / 'folds.json').write_text(json.dumps({'training': []}))
  with pytest.raises(ValueError, match=r'folds.json: expected \{"train"'):
    files.screened('mosei', 'csd', release_dir, dims=files.SMALL_DIMS)


def test_missing_lexical_features_say_how_to_make_them(meld_dir):
  lexical.path(meld_dir, 'dev').unlink()
  with pytest.raises(FileNotFoundError, match=r'dev.npz: no such file; .*extract_meld_text.py'):
    files.screened('meld', 'csv', meld_dir)
