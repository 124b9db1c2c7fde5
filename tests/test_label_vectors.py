"""The packaged lexicon, user vectors for label words, and label tables built outside the models."""

import pathlib
import subprocess
import sys

import ml_collections
import numpy as np
import pytest

from emorec.data import label_vectors, word_vectors
from emorec.models import emotion_embedding
from emorec.training import labels
from tests.text_files import write_lines

REPO = pathlib.Path(__file__).resolve().parents[1]
USER = {'anger': [1.0, 0.0, 0.0], 'joy': [0.0, 1.0, 0.0], 'very': [0.0, 0.0, 2.0],
        'sad': [0.5, 0.5, 0.0], 'Furious': [2.0, 0.0, 1.0]}


def _text(path: pathlib.Path, header: bool = False) -> pathlib.Path:
  lines = ([f'{len(USER)} 3'] if header else []) + [
      ' '.join([w, *map(str, v)]) for w, v in USER.items()]
  return write_lines(path, lines)


@pytest.fixture(params=['glove.txt', 'w2v.txt.gz', 'vectors.npz'])
def user_file(request, tmp_path):
  path = tmp_path / request.param
  if path.suffix == '.npz':
    np.savez(path, words=np.array(list(USER)), vectors=np.array(list(USER.values())))
    return str(path)
  return str(_text(path, header=request.param.startswith('w2v')))


def test_the_lexicon_has_500_entries_from_its_sections_each_once():
  entries = word_vectors.lexicon_entries()
  assert len(entries) >= 500 and len(set(entries)) == len(entries)
  assert entries[:len(word_vectors.EMOTION_WORDS)] == word_vectors.EMOTION_WORDS
  # Plutchik's intensities and dyads, GoEmotions, sentiment words and phrases are all there.
  for entry in ('serenity', 'ecstasy', 'terror', 'awe', 'remorse', 'optimism', 'nervousness',
                'realization', 'positive', 'negative', 'cheerful', 'furious', 'serene',
                'terrified', 'lonely', 'fed up', 'over the moon'):
    assert entry in entries
  assert sum(' ' in e for e in entries) >= 50


def test_packaged_vectors_follow_the_lexicon_and_keep_the_core_table_exact():
  words, vectors = word_vectors.packaged_vectors()
  assert words == word_vectors.lexicon_entries()
  assert vectors.shape == (len(words), 384) and vectors.dtype == np.float32
  np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=2e-3)
  core = len(word_vectors.EMOTION_WORDS)
  np.testing.assert_array_equal(vectors[:core], word_vectors.load_emotion_table())


def test_lexicon_text_errors_name_the_line():
  with pytest.raises(ValueError, match='line 2:.*listed twice'):
    word_vectors.lexicon_entries('joy\njoy\n')
  with pytest.raises(ValueError, match="line 1: 'Joy'.*lower case"):
    word_vectors.lexicon_entries('Joy  # comment\n')


def test_new_emotion_words_are_semantic():
  words = ['furious', 'angry', 'cheerful', 'happy', 'terrified', 'fear', 'lonely', 'calm']
  table = dict(zip(words, label_vectors.label_vectors(words)))
  assert table['furious'] @ table['angry'] > table['furious'] @ table['happy']
  assert table['cheerful'] @ table['happy'] > table['cheerful'] @ table['fear']
  assert table['terrified'] @ table['fear'] > table['terrified'] @ table['calm']


def test_packaged_lookup_ignores_case_and_encodes_listed_phrases_whole():
  vectors, how = label_vectors.lookup(['Furious', 'fed up', 'sad joy'])
  words, table = word_vectors.packaged_vectors()
  np.testing.assert_array_equal(vectors[0], table[words.index('furious')])
  np.testing.assert_array_equal(vectors[1], table[words.index('fed up')])
  np.testing.assert_allclose(
      vectors[2], (table[words.index('sad')] + table[words.index('joy')]) / 2, rtol=1e-6)
  assert dict(how) == {'Furious': 'whole', 'fed up': 'whole', 'sad joy': 'mean of 2 words'}


def test_a_missing_word_is_named_with_the_closest_words():
  with pytest.raises(ValueError, match=r"packaged emotion lexicon for 2 label.*'furiuos' "
                     r"\(closest: 'furious'.*'xqzv' \(no close word\).*emotion_lexicon.txt"):
    label_vectors.lookup(['happy', 'furiuos', 'xqzv'])
  with pytest.raises(ValueError, match="'very happpy'"):
    label_vectors.lookup(['very happpy'])


def test_user_vectors_ignore_case_and_average_multi_word_labels(user_file):
  vectors, how = label_vectors.lookup(['ANGER', 'furious', 'very sad'], user_file)
  np.testing.assert_allclose(vectors, [[1, 0, 0], [2, 0, 1], [0.25, 0.25, 1.0]])
  assert how['very sad'] == 'mean of 2 words'
  with pytest.raises(ValueError, match=rf"{pathlib.Path(user_file).name} for 1 label.*'joyy' "
                     r"\(closest: 'joy'"):
    label_vectors.lookup(['joyy'], user_file)


def test_user_vectors_centre_on_the_core_words_they_have(user_file):
  centred = label_vectors.label_vectors(['anger', 'joy', 'sad'], user_file, centred=True)
  core = np.array([USER['anger'], USER['joy'], USER['sad']])  # the core words the file has
  mean = core.mean(axis=0)
  rms = np.sqrt(np.mean(np.sum((core - mean) ** 2, axis=1)))
  np.testing.assert_allclose(centred, (core - mean) / rms, rtol=1e-6)


def test_packaged_centring_is_the_centred_core_table():
  words = ('happy', 'sad', 'angry', 'neutral')
  np.testing.assert_array_equal(label_vectors.label_vectors(words, centred=True),
                                word_vectors.centred_emotion_table(words).astype(np.float32))


@pytest.mark.parametrize('arrays, match', [
    ({'names': np.array(['a'])}, 'expected the arrays words'),
    ({'words': np.array(['a', 'b']), 'vectors': np.zeros((3, 2))}, r'expected numbers \[2, d\]'),
    ({'words': np.array(['a']), 'vectors': np.array([[np.nan, 1.0]])}, "'a' .*NaN or inf"),
    ({'words': np.array(['a'], dtype=object), 'vectors': np.zeros((1, 2))}, 'pickled objects'),
])
def test_bad_npz_vectors_are_refused(tmp_path, arrays, match):
  path = tmp_path / 'bad.npz'
  np.savez(path, **arrays)
  with pytest.raises(ValueError, match=match):
    label_vectors.lookup(['a'], str(path))


def test_a_missing_vectors_file_is_named(tmp_path):
  with pytest.raises(FileNotFoundError, match='model.emotion_embedding.vectors: no such file'):
    label_vectors.lookup(['a'], str(tmp_path / 'none.txt'))


def test_model_labels_read_the_configured_vectors(user_file):
  config = ml_collections.ConfigDict({'head': 'emotion_embedding', 'emotion_embedding': {
      'centred': False, 'vectors': user_file}})
  table = labels.model_labels(config, ['joy', 'anger'])
  assert table.source == user_file and table.words == ('joy', 'anger')
  np.testing.assert_allclose(table.vectors, [[0, 1, 0], [1, 0, 0]])
  assert labels.model_labels(ml_collections.ConfigDict({'head': 'classifier'}), ['joy']) is None


def test_label_tables_of_other_dimensions_are_refused():
  model = emotion_embedding.EmotionEmbeddingClassifier(
      modalities=('text',), num_classes=2, labels=labels.label_table(['happy', 'sad']))
  other = emotion_embedding.LabelTable(('joy',), np.zeros((1, 3)))
  with pytest.raises(ValueError, match='dimension 3, the model.s 384'):
    emotion_embedding.with_labels(model, other)
  with pytest.raises(TypeError, match='must be a LabelTable'):
    emotion_embedding.with_labels(model, ['joy'])


def test_importing_the_models_imports_no_tensorflow():
  code = 'import sys, emorec.models; print("tensorflow" in sys.modules)'
  result = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                          text=True, check=True, env={'PYTHONPATH': str(REPO),
                                                      'JAX_PLATFORMS': 'cpu'})
  assert result.stdout.strip() == 'False'
