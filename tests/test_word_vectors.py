"""Tests for the word-vector reader and the packaged emotion table."""

import numpy as np
import pytest

from emorec.data import word_vectors
from tests.text_files import write_lines

VECTORS = {
    'the': [0.1, 0.2, 0.3],
    'anger': [1.0, -2.0, 3.5],
    'Joy': [0.0, 0.5, -0.5],
    'joy': [4.0, 4.0, 4.0],
    'sad': [-1.0, 1e-3, 2.0],
}




def _vector_lines(trailing: str = '') -> list[str]:
  return [' '.join([w, *map(str, v)]) + trailing for w, v in VECTORS.items()]


@pytest.fixture(params=['glove.txt', 'glove.txt.gz', 'w2v.txt', 'w2v.txt.gz'])
def vectors_file(request, tmp_path):
  header = [f'{len(VECTORS)} 3'] if request.param.startswith('w2v') else []
  trailing = ' ' if request.param.startswith('w2v') else ''
  return write_lines(tmp_path / request.param, header + _vector_lines(trailing))


def test_reads_requested_words_in_order(vectors_file):
  vectors, missing = word_vectors.read_word_vectors(vectors_file, ['sad', 'anger', 'the'])
  assert missing == ()
  assert vectors.dtype == np.float32
  np.testing.assert_array_equal(
      vectors, np.array([VECTORS['sad'], VECTORS['anger'], VECTORS['the']], np.float32)
  )


def test_exact_match_wins_over_case_insensitive(vectors_file):
  vectors, _ = word_vectors.read_word_vectors(vectors_file, ['joy', 'Joy'])
  np.testing.assert_array_equal(vectors, np.array([VECTORS['joy'], VECTORS['Joy']], np.float32))


def test_capitalisation_fallback(vectors_file):
  vectors, _ = word_vectors.read_word_vectors(vectors_file, ['Anger', 'SAD', 'JOY'])
  expected = [VECTORS['anger'], VECTORS['sad'], VECTORS['Joy']]  # First case-insensitive line.
  np.testing.assert_array_equal(vectors, np.array(expected, np.float32))


def test_missing_words_raise_naming_file_and_words(vectors_file):
  with pytest.raises(ValueError) as error:
    word_vectors.read_word_vectors(vectors_file, ['anger', 'contempt', 'boredom'])
  message = str(error.value)
  assert str(vectors_file) in message
  assert "'contempt'" in message and "'boredom'" in message
  assert "'anger'" not in message


def test_missing_words_skipped(vectors_file):
  vectors, missing = word_vectors.read_word_vectors(
      vectors_file, ['contempt', 'sad', 'boredom'], on_missing='skip'
  )
  assert missing == ('contempt', 'boredom')
  np.testing.assert_array_equal(vectors, np.array([VECTORS['sad']], np.float32))


def test_stops_reading_once_all_words_found(tmp_path):
  path = write_lines(tmp_path / 'v.txt', _vector_lines() + ['broken line'])
  vectors, _ = word_vectors.read_word_vectors(path, ['the', 'sad'])
  assert vectors.shape == (2, 3)


def test_word_with_spaces(tmp_path):
  path = write_lines(tmp_path / 'v.txt', ['the 1 2', '. . . 3 4'])
  vectors, _ = word_vectors.read_word_vectors(path, ['. . .'])
  np.testing.assert_array_equal(vectors, [[3.0, 4.0]])


@pytest.mark.parametrize(
    'lines, line_number, expectation',
    [
        (['the 1 2 3', 'anger 1 2'], 2, 'expected a word followed by 3 values'),
        (['the 1 2 3', 'anger 1 2 3 4'], 2, 'expected a word followed by 3 values'),
        (['2 3', 'the 1 2 3', 'anger 1 2'], 3, 'expected a word followed by 3 values'),
        (['the 1 2 3', 'anger 1 x 3'], 2, "expected numeric values, found 'x'"),
        (['the 1 2 3', 'anger 1 nan 3'], 2, "expected finite float32 values, found 'nan'"),
        (['the 1 2 3', 'anger 1 -inf 3'], 2, "expected finite float32 values, found '-inf'"),
        (['the 1 2 3', 'anger 1 1e40 3'], 2, "expected finite float32 values, found '1e40'"),
        (['the'], 1, 'expected a word followed by its vector values'),
    ],
)
def test_bad_lines_name_file_line_and_expectation(tmp_path, lines, line_number, expectation):
  path = write_lines(tmp_path / 'bad.txt', lines)
  with pytest.raises(ValueError) as error:
    word_vectors.read_word_vectors(path, ['anger'])
  message = str(error.value)
  assert f'{path}, line {line_number}' in message
  assert expectation in message


@pytest.mark.parametrize('lines', [[], [''], ['3 300']])
def test_empty_file(tmp_path, lines):
  path = write_lines(tmp_path / 'empty.txt', lines)
  with pytest.raises(ValueError, match='no vectors'):
    word_vectors.read_word_vectors(path, ['anger'])


def test_truncated_word2vec_file(tmp_path):
  path = write_lines(tmp_path / 'w2v.txt', ['3 2', 'the 1 2', 'anger 3 4'])
  with pytest.raises(ValueError, match='header announces 3 vectors, file has 2'):
    word_vectors.read_word_vectors(path, ['joy'], on_missing='skip')


def test_rejects_a_string_of_words(vectors_file):
  with pytest.raises(TypeError):
    word_vectors.read_word_vectors(vectors_file, 'anger')


def test_emotion_table_shape_and_values():
  table = word_vectors.load_emotion_table()
  assert table.shape == (len(word_vectors.EMOTION_WORDS), 384)
  assert table.dtype == np.float32
  assert np.all(np.isfinite(table))
  np.testing.assert_allclose(np.linalg.norm(table, axis=1), 1.0, atol=1e-5)
  assert len(set(word_vectors.EMOTION_WORDS)) == len(word_vectors.EMOTION_WORDS)


def test_emotion_table_order_and_case():
  full = word_vectors.load_emotion_table()
  index = {w: i for i, w in enumerate(word_vectors.EMOTION_WORDS)}
  subset = word_vectors.load_emotion_table(['Sad', 'anger', 'neutral'])
  np.testing.assert_array_equal(subset, full[[index['sad'], index['anger'], index['neutral']]])


def test_emotion_table_unknown_words():
  with pytest.raises(ValueError, match=r"'schadenfreude', 'ennui'.*make_emotion_vectors"):
    word_vectors.load_emotion_table(['anger', 'schadenfreude', 'ennui'])


def test_emotion_table_is_semantic():
  words = ['happy', 'joy', 'anger', 'angry', 'sad', 'sadness', 'fear']
  table = dict(zip(words, word_vectors.load_emotion_table(words)))

  def cosine(a: str, b: str) -> float:
    u, v = table[a], table[b]
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))

  assert cosine('happy', 'joy') > cosine('happy', 'anger')
  assert cosine('happy', 'joy') > cosine('happy', 'sad')
  assert cosine('sad', 'sadness') > cosine('sad', 'fear')
  assert cosine('anger', 'angry') > 0.8


def test_emotion_table_returns_a_copy():
  table = word_vectors.load_emotion_table(['anger'])
  table[:] = 0.0
  assert np.any(word_vectors.load_emotion_table(['anger']) != 0.0)
