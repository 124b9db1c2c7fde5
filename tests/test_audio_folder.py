"""The audio-folder corpus: speaker-disjoint LOSO folds, standardisation, missing features,
the EmoDB preset, and a smoke training on extracted features."""

import numpy as np
import pytest

from emorec.audio import extract, labels
from emorec.data import loader, pooled
from emorec.data.audio_folder import folds, normalise
from emorec.experiments import config_args
from emorec.training import train
from tests.audio_fixtures import emodb_dir, tone, write_wav

SPEAKERS = ('s1', 's2', 's3', 's4')
# Two emotions of configs/emodb.py, as tones an octave apart.
TONES = {'anger': 600.0, 'sadness': 300.0}


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
  """(audio dir, features dir): 4 speakers x 2 emotions x 2 takes of 0.5 s tones, extracted."""
  root = tmp_path_factory.mktemp('folder')
  rows = ['file,speaker,emotion']
  for k, speaker in enumerate(SPEAKERS):
    for emotion, hz in TONES.items():
      for take in range(2):
        source = f'wav/{speaker}_{emotion}_{take}.wav'
        write_wav(root / source, tone(hz * (1 + 0.05 * k + 0.02 * take), seconds=0.5,
                                      amplitude=0.2 + 0.1 * k))
        rows.append(f'{source},{speaker},{emotion}')
  (root / 'labels.csv').write_text('\n'.join(rows) + '\n')
  extract.extract_folder(str(root), extract.list_wavs(str(root)), str(root / 'features'),
                         ['egemaps_functionals', 'logmel'], progress=False)
  return root


def _config(root, arg=''):
  return config_args.config_from_spec(
      f'configs/emodb.py:smoke,audio_dir={root},features_dir={root / "features"}'
      + (f',{arg}' if arg else ''))


def test_loso_folds_of_emodb_are_speaker_disjoint_and_test_everyone_once():
  speakers = labels.read_labels(str(emodb_dir() / 'labels.csv')).speakers
  tested = []
  for fold in range(1, 11):
    rows = folds.loso_rows(speakers, fold)
    sets = {name: set(speakers[r]) for name, r in rows.items()}
    assert len(sets['test']) == len(sets['validation']) == 1 and len(sets['train']) == 8
    assert not (sets['train'] & sets['test'] or sets['train'] & sets['validation']
                or sets['validation'] & sets['test'])
    assert sum(len(r) for r in rows.values()) == len(speakers) == 535
    tested += sets['test']
  assert sorted(tested) == sorted(set(speakers))


def test_loso_refuses_a_fold_without_a_speaker():
  with pytest.raises(ValueError, match=r'data.fold must be in 1..4'):
    folds.loso_rows(np.array(SPEAKERS), 5)


def test_corpus_splits_follow_the_fold(folder):
  corpus = loader.load_corpus(_config(folder, 'fold=2,feature=egemaps_functionals').data)
  assert corpus.name == 'emodb' and corpus.modality_dims == {'audio': 88}
  assert corpus.info['speakers'] == {'train': ['s1', 's4'], 'validation': ['s3'],
                                     'test': ['s2']}
  assert corpus.info['examples'] == {'train': 8, 'validation': 4, 'test': 4}
  example = corpus.splits['test'].example_fn(np.int64(1))
  assert example['audio'].shape == (1, 88)
  assert corpus.emotions[int(example['label'])] in TONES


def test_frames_are_pooled_and_truncated(folder):
  config = _config(folder, 'feature=logmel,frame_pool=4')
  corpus = loader.load_corpus(config.data)
  frames = corpus.splits['train'].example_fn(np.int64(0))['audio']
  assert corpus.modality_dims == {'audio': 40}
  assert frames.shape[0] == min(config.data.max_len, -(-48 // 4))  # 0.5 s: 48 frames


def test_speaker_standardisation_centres_each_speaker(folder):
  corpus = loader.load_corpus(_config(folder, 'feature=egemaps_functionals').data)
  rows = {}
  for name, split in corpus.splits.items():
    for i in range(split.num_examples):
      example = split.example_fn(np.int64(i))
      rows.setdefault(int(example['speaker']), []).append(example['audio'].numpy()[0])
  for values in rows.values():
    values = np.stack(values)
    np.testing.assert_allclose(values.mean(axis=0), 0.0, atol=1e-4)
    varying = values.std(axis=0) > 1e-3
    np.testing.assert_allclose(values.std(axis=0)[varying], 1.0, rtol=1e-3)


def test_train_standardisation_uses_training_rows_only():
  utterances = [np.full((2, 1), v, np.float32) for v in (0.0, 2.0, 10.0)]
  out = normalise.standardised(utterances, np.array(['a', 'a', 'b']), np.array([0, 1]), 'train')
  assert [u[0, 0] for u in out] == [-1.0, 1.0, 9.0]


def test_missing_features_name_the_file_or_are_dropped_and_counted(folder):
  (folder / 'labels.csv').rename(folder / 'labels_all.csv')
  try:
    text = (folder / 'labels_all.csv').read_text()
    (folder / 'labels.csv').write_text(text + 'wav/absent.wav,s1,anger\n')
    with pytest.raises(ValueError, match=r'absent.npz: no logmel features'):
      loader.load_corpus(_config(folder, 'feature=logmel').data)
    corpus = loader.load_corpus(_config(folder, 'feature=logmel,on_bad_audio=skip').data)
    assert corpus.info['dropped'] == {'missing_features': 1}
  finally:
    (folder / 'labels_all.csv').replace(folder / 'labels.csv')


def test_unknown_emotion_and_column_are_refused(folder, tmp_path):
  bad = tmp_path / 'labels.csv'
  bad.write_text('file,speaker,emotion\nwav/s1_anger_0.wav,s1,joy\n')
  data = _config(folder, 'feature=logmel').data
  data.labels = str(bad)
  with pytest.raises(ValueError, match=r"emotions \['joy'\] are not among"):
    loader.load_corpus(data)
  bad.write_text('path,speaker,emotion\nwav/s1_anger_0.wav,s1,anger\n')
  with pytest.raises(ValueError, match=r"no file column 'file'"):
    loader.load_corpus(data)


def test_emodb_preset_reads_the_shared_copy_by_default():
  config = config_args.config_from_spec('configs/emodb.py')
  assert config.data.audio_dir.endswith('shared/data/emodb')
  assert config.data.labels.endswith('shared/data/emodb/labels.csv')
  assert config.model.modalities == ('audio',) and config.data.max_len == 50
  assert config_args.config_from_spec(
      'configs/emodb.py:feature=compare_functionals').data.max_len == 1


def test_smoke_training_on_extracted_features(folder, tmp_path):
  config = _config(folder, 'feature=logmel,frame_pool=8')
  result = train.train_and_evaluate(config, str(tmp_path / 'run'), quiet=True)
  assert result.completed
  for key in ('test/wa', 'test/ua', 'validation/ua'):
    assert 0.0 <= result.metrics[key] <= 1.0


def test_mtee_config_reads_emodb_audio(folder):
  config = config_args.config_from_spec(
      f'configs/transfer.py:dataset=emodb,held_out=sadness,few_shot,smoke,audio_dir={folder},'
      f'features_dir={folder / "features"},feature=logmel')
  assert config.model.head == 'emotion_embedding' and config.model.modalities == ('audio',)
  assert config.data.held_out == ('sadness',) and config.data.few_shot == 0.01
  assert config.eval.selection_metric == 'wa'
  assert loader.load_corpus(config.data).modality_dims == {'audio': 40}


def test_pooled_features_average_each_example_over_its_frames(folder):
  corpus = loader.load_corpus(_config(folder, 'feature=logmel,frame_pool=1').data)
  features, labels = pooled.pooled_features(corpus, 'test', 'audio')
  split = corpus.splits['test']
  assert features.shape == (split.num_examples, 40)
  np.testing.assert_array_equal(labels, split.labels)
  np.testing.assert_allclose(features[2], split.example_fn(np.int64(2))['audio'].numpy().mean(0),
                             rtol=1e-5, atol=1e-6)
