"""Real corpora end to end: TFDS builders from tiny releases, protocols, folds and configs."""

import pathlib

import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from emorec.data import loader
from emorec.data.real import iemocap
from emorec.experiments.config_args import apply_overrides, sibling_config
from emorec.training import train
from tests import real_fixtures as files

pytest_plugins = ('tests.real_fixtures',)


_CONFIGS = pathlib.Path(__file__).resolve().parents[1] / 'configs'


def _config(name: str, arg: str) -> ml_collections.ConfigDict:
  """`get_config(arg)` of configs/NAME.py."""
  return sibling_config(str(_CONFIGS / f'{name}.py'), name)(arg)


def _example(corpus, split: str, index: int) -> dict[str, np.ndarray]:
  example = corpus.splits[split].example_fn(tf.constant(index, tf.int64))
  return {key: value.numpy() for key, value in example.items()}


@pytest.fixture
def iemocap_dir(release_dir):
  files.write_pickle(release_dir / 'IEMOCAP_features.pkl', files.conv_emotion_iemocap())
  return release_dir


def _iemocap(tmp_path, manual_dir, protocol='4class', **fields):
  return files.load(tmp_path, 'iemocap', 'conv_emotion', manual_dir, protocol=protocol,
                    release={'dims': files.SMALL_DIMS}, **fields)


def _sessions(corpus, split):
  """Session of each example of a split, from its speaker id (speakers sorted by name)."""
  speakers = sorted(f'Ses0{s}{g}' for s in range(1, 6) for g in 'FM')
  return {int(speakers[int(_example(corpus, split, i)['speaker'])][4])
          for i in range(corpus.splits[split].num_examples)}


def test_meld_config_reads_lexical_text_and_audio(tmp_path, meld_dir):
  config = _config('meld', f'manual_dir={meld_dir},data_dir={tmp_path}/tfds,smoke')
  assert config.model.modalities == ('text', 'audio')
  config = apply_overrides(config, {'data.release.dims.audio': str(files.MELD_DIMS['audio'])})
  corpus = loader.load_corpus(config.data)
  assert corpus.emotions == ('neutral', 'surprise', 'fear', 'sadness', 'joy', 'disgust', 'anger')
  assert dict(corpus.modality_dims) == {'text': 384, 'audio': 5} and not corpus.multi_label
  assert corpus.info['examples'] == {'train': 6, 'validation': 2, 'test': 2}
  np.testing.assert_array_equal(corpus.splits['train'].labels, [4, 6, 0, 1, 5, 3])
  example = _example(corpus, 'train', 1)
  assert example['text'].shape == (3, 384) and example['audio'].shape == (1, 5)
  assert example['text'].dtype == np.float32 and example['label'] == 6
  assert _example(corpus, 'test', 1)['label'] == 6


def test_meld_config_is_text_only_without_audio(meld_dir):
  (meld_dir / 'audio_embeddings_feature_selection_emotion.pkl').unlink()
  assert _config('meld', f'manual_dir={meld_dir}').model.modalities == ('text',)
  assert _config('meld', f'manual_dir={meld_dir},audio=no').data.max_len == 50
  assert _config('meld', f'manual_dir={meld_dir},text=glove').data.max_len == 1


def test_meld_sentiment_protocol(tmp_path, meld_dir):
  corpus = files.load(tmp_path, 'meld', 'csv', meld_dir, protocol='sentiment')
  assert corpus.emotions == ('neutral', 'positive', 'negative')
  np.testing.assert_array_equal(corpus.splits['train'].labels, [1, 2, 0, 1, 2, 2])


def test_a_prepared_dataset_is_read_from_data_dir(tmp_path, meld_dir):
  files.load(tmp_path, 'meld', 'csv', meld_dir, protocol='emotion')
  (meld_dir / 'train_sent_emo.csv').unlink()
  corpus = files.load(tmp_path, 'meld', 'csv', meld_dir, protocol='emotion')
  assert corpus.splits['train'].num_examples == 6


def test_iemocap_4class_merges_excited_and_drops_the_rest(tmp_path, iemocap_dir):
  corpus = _iemocap(tmp_path, iemocap_dir)
  assert corpus.emotions == ('neutral', 'happy', 'sad', 'angry')
  # The release has hap 6, sad 5, neu 4, ang 4, exc 5, fru 6.
  assert corpus.info['protocol_dropped'] == 6
  labels = np.concatenate([s.labels for s in corpus.splits.values()])
  assert np.bincount(labels).tolist() == [4, 11, 5, 4]
  assert _sessions(corpus, 'test') == {5}


def test_iemocap_6class_and_carved_validation(tmp_path, iemocap_dir):
  corpus = _iemocap(tmp_path, iemocap_dir, protocol='6class', validation_share=0.25)
  assert corpus.emotions == ('happy', 'sad', 'neutral', 'angry', 'excited', 'frustrated')
  assert corpus.info['examples'] == {'train': 18, 'validation': 6, 'test': 6}
  assert corpus.info['protocol_dropped'] == 0


@pytest.mark.parametrize('fold', [1, 4])
def test_iemocap_leave_one_session_out(tmp_path, iemocap_dir, fold):
  corpus = _iemocap(tmp_path, iemocap_dir, protocol='6class', split='loso', fold=fold)
  assert _sessions(corpus, 'test') == {fold}
  assert fold not in _sessions(corpus, 'train') | _sessions(corpus, 'validation')
  assert corpus.info['examples'] == {'train': 21, 'validation': 3, 'test': 6}
  assert corpus.info['fold'] == fold


def test_loso_fold_out_of_range(tmp_path, iemocap_dir):
  with pytest.raises(ValueError, match=r'data.fold must be a session in 1..5, got 6'):
    _iemocap(tmp_path, iemocap_dir, split='loso', fold=6)


def test_iemocap_mult_is_four_class_only(tmp_path, release_dir):
  files.write_pickle(release_dir / 'iemocap_data.pkl', files.mult_iemocap())
  release = {'dims': files.SMALL_DIMS}
  corpus = files.load(tmp_path, 'iemocap', 'mult', release_dir, protocol='4class',
                      release=release)
  assert corpus.info['neg_inf_zeroed'] == {'audio': 3}
  assert corpus.info['examples'] == {'train': 4, 'validation': 2, 'test': 2}
  assert _example(corpus, 'train', 2)['text'].shape == (4, 4)
  with pytest.raises(ValueError, match=r"'6class' needs the classes \['excited', 'frustrated'\]"):
    files.load(tmp_path, 'iemocap', 'mult', release_dir, protocol='6class', release=release)


def test_mosei_csd_is_multi_label(tmp_path, release_dir):
  files.write_mosei_csd(release_dir)
  files.write_mosei_folds(release_dir)
  config = _config('mosei', f'manual_dir={release_dir},data_dir={tmp_path}/tfds,smoke')
  assert config.eval.selection_metric == 'wacc'
  config.data.release.dims = files.SMALL_DIMS
  config.data.max_len = 10
  corpus = loader.load_corpus(config.data)
  assert corpus.multi_label and corpus.emotions == ('happy', 'sad', 'anger', 'surprise',
                                                    'disgust', 'fear')
  np.testing.assert_array_equal(corpus.splits['train'].labels,
                                [[1, 0, 0, 1, 0, 0], [0, 1, 1, 0, 0, 0]])
  example = _example(corpus, 'train', 0)
  assert example['labels'].dtype == np.float32
  # 4 words and 20 COVAREP frames overlap segment [0, 2); frames past max_len are not kept.
  assert example['text'].shape == (4, 4) and example['audio'].shape == (10, 3)
  with pytest.raises(ValueError, match=r"'loso' needs IEMOCAP utterance ids .*'videoA\[0\]'"):
    files.load(tmp_path, 'mosei', 'csd', release_dir, protocol='emotions', split='loso',
               release={'dims': files.SMALL_DIMS})


def test_mosei_mult_sentiment(tmp_path, release_dir):
  files.write_pickle(release_dir / 'mosei_senti_data.pkl', files.mult_mosei())
  corpus = files.load(tmp_path, 'mosei', 'mult', release_dir, protocol='sentiment',
                      release={'dims': files.SMALL_DIMS})
  np.testing.assert_array_equal(corpus.splits['train'].labels, [1, 2, 0])
  with pytest.raises(ValueError, match=r"'emotions' reads the 'labels' labels, which this "
                     r"release lacks \(it has \['sentiment'\]\)"):
    files.load(tmp_path, 'mosei', 'mult', release_dir, protocol='emotions',
               release={'dims': files.SMALL_DIMS})


def test_meld_conv_emotion(tmp_path, release_dir):
  files.write_pickle(release_dir / 'MELD_features_raw.pkl', files.conv_emotion_meld())
  corpus = files.load(tmp_path, 'meld', 'conv_emotion', release_dir, protocol='emotion',
                      release={'dims': {'text': 6, 'audio': 5}}, validation_share=0.3)
  assert corpus.info['examples'] == {'train': 4, 'validation': 2, 'test': 2}


@pytest.mark.parametrize('name', ['cmdm', 'contrastive', 'transfer'])
@pytest.mark.parametrize('dataset', ['iemocap', 'meld', 'mosei'])
def test_method_configs_take_real_datasets(tmp_path, name, dataset):
  config = _config(name, f'dataset={dataset},manual_dir={tmp_path},smoke')
  assert config.data.name == dataset and config.data.manual_dir == str(tmp_path)
  assert config.eval.selection_metric == ('wacc' if dataset == 'mosei' else 'wa')
  assert set(config.model.get('modality_hidden', {})) <= set(config.model.modalities)


def test_trains_on_a_real_corpus(tmp_path, meld_dir):
  config = _config('meld', f'manual_dir={meld_dir},data_dir={tmp_path}/tfds,audio=no,smoke')
  config.data.max_len = 4
  config.train.batch_size = config.train.unlabelled_batch_size = 4
  config.eval.batch_size = 4
  config.train.num_steps = 2
  result = train.train_and_evaluate(config, str(tmp_path / 'run'), quiet=True)
  assert np.isfinite(result.metrics['test/wa'])


def test_iemocap_ids():
  assert iemocap.session_of('Ses03M_script01_1b_F012') == 3
  assert iemocap.speaker_of('Ses03M_script01_1b_F012') == 'Ses03F'
  assert iemocap.session_of('dev_0_3') is None
