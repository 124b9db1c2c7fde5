"""The word vectors of label words, from the packaged lexicon or from a user's vectors file.

A source is '' (the packaged lexicon, ``word_vectors.packaged_vectors``) or the path of
a GloVe/word2vec text file (plain or ``.gz``) or of an ``.npz`` holding ``words`` (str [N])
and ``vectors`` ([N, d]). A label is looked up as follows:

* whole, ignoring case: the packaged lexicon encodes its phrases as phrases ('fed up',
  'over the moon'), so a listed phrase has its own vector;
* failing that, a label of several words (separated by spaces or underscores) is the mean
  of its words' vectors, each of which must be found ('very sad' -> mean of 'very', 'sad');
* failing that, an error names every missing label and the closest words the source has
  (``difflib``).

Centred vectors have the mean of the core emotion words (``word_vectors.EMOTION_WORDS``, those
the source has) subtracted and are divided by those words' RMS norm after centring, so every
source is centred on the same emotions; for the packaged lexicon this is
``word_vectors.centred_emotion_table``.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import re
from typing import Callable, Mapping, Sequence

import numpy as np

from emorec.data import word_vectors

PACKAGED = ''
_SEPARATORS = re.compile(r'[\s_]+')
_HOW_TO_ADD = (f'add it to emorec/data/{word_vectors.LEXICON_TEXT} and run '
               'launch/make_emotion_vectors.py, or give your own vectors with '
               'model.emotion_embedding.vectors=PATH')


@dataclasses.dataclass(frozen=True)
class Source:
  """Where vectors are looked up.

  Attributes:
    name: for messages ('the packaged emotion lexicon' or the file's path).
    find: casefolded words -> {casefolded word: float32 vector} of those found.
    vocabulary: every word the source has (for suggestions).
  """

  name: str
  find: Callable[[set[str]], dict[str, np.ndarray]]
  vocabulary: Callable[[], Sequence[str]]


def _table_source(name: str, words: Sequence[str], vectors: np.ndarray) -> Source:
  index: dict[str, int] = {}
  for row, word in enumerate(words):
    index.setdefault(word.casefold(), row)

  def find(wanted: set[str]) -> dict[str, np.ndarray]:
    return {w: np.asarray(vectors[index[w]], np.float32) for w in wanted if w in index}

  return Source(name, find, lambda: tuple(index))


def _npz_source(path: str) -> Source:
  try:
    with np.load(path, allow_pickle=False) as data:
      if 'words' not in data or 'vectors' not in data:
        raise ValueError(f'{path}: holds {sorted(data)}, expected the arrays words (str [N]) '
                         'and vectors ([N, d]).')
      words, vectors = data['words'], data['vectors']
  except ValueError as error:
    if 'allow_pickle' in str(error):
      raise ValueError(f'{path}: holds pickled objects, expected words as a str array and '
                       'vectors as a numeric array.') from None
    raise
  if words.ndim != 1 or words.dtype.kind != 'U':
    raise ValueError(f'{path}: words has shape {list(words.shape)} and dtype {words.dtype}, '
                     'expected a str array [N].')
  if vectors.ndim != 2 or vectors.shape[0] != len(words) or vectors.dtype.kind not in 'fiu':
    raise ValueError(f'{path}: vectors has shape {list(vectors.shape)} and dtype '
                     f'{vectors.dtype}, expected numbers [{len(words)}, d].')
  vectors = vectors.astype(np.float32)
  if not np.all(np.isfinite(vectors)):
    row = int(np.argmin(np.all(np.isfinite(vectors), axis=1)))
    raise ValueError(f'{path}: the vector of {str(words[row])!r} (row {row}) holds NaN or inf, '
                     'expected finite values.')
  return _table_source(path, [str(w) for w in words], vectors)


def _text_source(path: str) -> Source:
  """A GloVe/word2vec text file, streamed at each look-up (such files can hold millions)."""

  def find(wanted: set[str]) -> dict[str, np.ndarray]:
    ordered = sorted(wanted)
    vectors, missing = word_vectors.read_word_vectors(path, ordered, on_missing='skip')
    return dict(zip([w for w in ordered if w not in missing], vectors))

  def vocabulary() -> tuple[str, ...]:
    return tuple(dict.fromkeys(w.casefold() for w in word_vectors.vocabulary(path)))

  return Source(path, find, vocabulary)


@functools.lru_cache(maxsize=4)
def source(path: str = PACKAGED) -> Source:
  """The source ``path`` names ('' for the packaged lexicon)."""
  path = os.fspath(path)
  if path == PACKAGED:
    return _table_source('the packaged emotion lexicon', *word_vectors.packaged_vectors())
  if not os.path.isfile(path):
    raise FileNotFoundError(f'model.emotion_embedding.vectors: no such file {path!r}, expected '
                            'GloVe/word2vec text (.txt, .gz) or an .npz of words and vectors.')
  return _npz_source(path) if path.endswith('.npz') else _text_source(path)


def _pieces(label: str) -> list[str]:
  return [p for p in _SEPARATORS.split(label.casefold()) if p]


def _suggestions(missing: Sequence[str], vocabulary: Sequence[str]) -> str:
  lines = []
  for label in missing:
    close = difflib.get_close_matches(label.casefold(), vocabulary, n=3, cutoff=0.6)
    lines.append(f'{label!r} (closest: {", ".join(map(repr, close))})' if close
                 else f'{label!r} (no close word)')
  return '; '.join(lines)


def lookup(words: Sequence[str], path: str = PACKAGED) -> tuple[np.ndarray, Mapping[str, str]]:
  """Vectors float32 [K, d] of label ``words`` (see the module docstring) and how each was
  found: 'whole' or 'mean of N words'.

  Raises:
    ValueError: naming every label without a vector and the closest words ``path`` has.
  """
  if isinstance(words, str):
    raise TypeError(f'words must be a sequence of label words, not the string {words!r}.')
  if not words:
    raise ValueError('no label words given.')
  origin = source(path)
  wanted = {w.casefold() for w in words} | {p for w in words for p in _pieces(w)}
  found = origin.find(wanted)
  vectors, how, missing = [], {}, []
  for word in words:
    pieces = _pieces(word)
    if word.casefold() in found:
      vectors.append(found[word.casefold()])
      how[word] = 'whole'
    elif len(pieces) > 1 and all(p in found for p in pieces):
      vectors.append(np.mean([found[p] for p in pieces], axis=0))
      how[word] = f'mean of {len(pieces)} words'
    else:
      missing.append(word)
  if missing:
    raise ValueError(f'No vector in {origin.name} for {len(missing)} label(s): '
                     f'{_suggestions(missing, origin.vocabulary())}. To use a word, '
                     f'{_HOW_TO_ADD}.')
  return np.stack(vectors).astype(np.float32), how


@functools.lru_cache(maxsize=4)
def _centre(path: str) -> tuple[np.ndarray, float]:
  """Mean [d] and RMS norm after centring of the core emotion words ``path`` has."""
  origin = source(path)
  core = origin.find({w.casefold() for w in word_vectors.EMOTION_WORDS})
  if len(core) < 2:
    raise ValueError(f'{origin.name} has {len(core)} of the core emotion words '
                     f'({", ".join(word_vectors.EMOTION_WORDS)}); centring needs at least 2. '
                     'Set model.emotion_embedding.centred=False.')
  table = np.stack([core[w.casefold()] for w in word_vectors.EMOTION_WORDS
                    if w.casefold() in core]).astype(np.float64)
  mean = table.mean(axis=0)
  return mean, float(np.sqrt(np.mean(np.sum((table - mean) ** 2, axis=1))))


def label_vectors(words: Sequence[str], path: str = PACKAGED, *,
                  centred: bool = False) -> np.ndarray:
  """Vectors [K, d] of label ``words`` from ``path`` ('' packaged), centred or raw."""
  vectors, _ = lookup(words, path)
  if not centred:
    return vectors
  mean, rms = _centre(path)
  return ((vectors.astype(np.float64) - mean) / rms).astype(np.float32)
