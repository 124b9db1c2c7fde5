"""Emotion word vectors: a reader of GloVe/word2vec text files and the embedded default table.

MTEE represents each emotion category by a frozen word vector. Two sources are offered:

* ``read_word_vectors`` looks words up in pretrained vectors people have on disk (GloVe
  ``glove.*.txt`` or word2vec/fastText text files, optionally gzipped).
* ``load_emotion_table`` reads the core table shipped with the package: 384-d vectors of
  ``EMOTION_WORDS`` computed by the all-MiniLM-L6-v2 sentence encoder, each word encoded
  alone, L2-normalised (float32). It is the reference the centred vectors are centred on
  and the source of the synthetic corpus's prototypes.
* ``packaged_vectors`` reads the whole packaged lexicon: the core table and every other word
  and phrase of ``assets/emotion_lexicon.txt``, encoded alike and stored as float16
  (``assets/emotion_lexicon.npz``; float16 keeps 3 significant digits, cosines between them
  change by < 1e-3).

``launch/make_emotion_vectors.py`` regenerates both.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import importlib.resources
import os
from typing import Iterator, Literal, Sequence, TextIO

import numpy as np

EMOTION_WORDS: tuple[str, ...] = (
    # Ekman's six basic emotions, as nouns and adjectives; the label sets of IEMOCAP
    # (neutral, happy, sad, angry, excited, frustrated, ...), MELD (neutral, joy, surprise,
    # fear, sadness, disgust, anger) and CMU-MOSEI (happy, sad, anger, surprise, disgust, fear).
    'neutral',
    'anger',
    'angry',
    'disgust',
    'disgusted',
    'fear',
    'fearful',
    'happiness',
    'happy',
    'joy',
    'sadness',
    'sad',
    'surprise',
    'surprised',
    'excited',
    'excitement',
    'frustrated',
    'frustration',
    # Further emotions for zero-shot and few-shot experiments.
    'calm',
    'contempt',
    'boredom',
    'bored',
    'pride',
    'shame',
    'guilt',
    'love',
    'amusement',
    'relief',
    'anxiety',
    'anxious',
    'confusion',
    'interest',
    'trust',
    'anticipation',
    'embarrassment',
    'gratitude',
    'hope',
    'jealousy',
    'admiration',
    'contentment',
)

OnMissing = Literal['raise', 'skip']

_ASSET_PACKAGE = 'emorec.data'
_ASSET_PATH = 'assets/emotion_words.npz'
LEXICON_TEXT = 'assets/emotion_lexicon.txt'
LEXICON_ASSET = 'assets/emotion_lexicon.npz'
_REGENERATE = 'python launch/make_emotion_vectors.py'


def _open_text(path: str | os.PathLike[str]) -> TextIO:
  """Opens a UTF-8 text file, gunzipping ``*.gz``; lines end at '\\n' only.

  Undecodable bytes become U+FFFD rather than errors: some published word2vec text files
  contain broken UTF-8 in rare tokens, which are never the ones looked up.
  """
  if os.fspath(path).endswith('.gz'):
    return gzip.open(path, 'rt', encoding='utf-8', errors='replace', newline='\n')
  return open(path, encoding='utf-8', errors='replace', newline='\n')


def _parse_header(line: str) -> tuple[int, int] | None:
  """Returns (count, dim) if ``line`` is a word2vec header ``count dim``, else None."""
  fields = line.split(' ')
  if len(fields) != 2 or not all(f.isdigit() for f in fields):
    return None
  return int(fields[0]), int(fields[1])


def _is_number(text: str) -> bool:
  try:
    float(text)
  except ValueError:
    return False
  return True


def _split_record(line: str, dim: int, where: str) -> tuple[str, list[str]]:
  """Splits ``word v1 ... v_dim`` into the word and its value strings.

  The word is everything before the last ``dim`` fields, so it may contain spaces (a few
  GloVe 840B tokens do); a "word" whose last piece is a number means extra values.
  """
  fields = line.rsplit(' ', dim)
  word = fields[0]
  if len(fields) != dim + 1 or not word or (' ' in word and _is_number(word.rsplit(' ', 1)[1])):
    found = len(line.split(' '))
    raise ValueError(
        f'{where}: expected a word followed by {dim} values ({dim + 1} fields), found {found}.'
    )
  return word, fields[1:]


def _parse_values(values: list[str], where: str) -> np.ndarray:
  """Converts value strings to a finite float32 vector."""
  try:
    vector = np.array([float(v) for v in values], dtype=np.float64)
  except ValueError:
    bad = next(v for v in values if not _is_number(v))
    raise ValueError(f'{where}: expected numeric values, found {bad!r}.') from None
  finite = np.isfinite(vector) & (np.abs(vector) <= np.finfo(np.float32).max)
  if not finite.all():
    bad = values[int(np.argmin(finite))]
    raise ValueError(f'{where}: expected finite float32 values, found {bad!r}.')
  return vector.astype(np.float32)


def _records(path: str | os.PathLike[str]) -> Iterator[tuple[str, list[str], str]]:
  """Yields ``(word, value strings, 'path, line n')`` for each vector line of a text file.

  A first non-blank line of exactly two integers is a word2vec header ``count dim``; otherwise
  the first line is a vector and fixes the dimension. Blank lines are skipped. When the file is
  read to its end, a header's count is checked against the number of vectors.
  """
  header = None
  dim = None
  count = 0
  with _open_text(path) as f:
    for lineno, raw in enumerate(f, start=1):
      line = raw.rstrip('\r\n ')
      if not line:
        continue
      where = f'{os.fspath(path)}, line {lineno}'
      if dim is None:
        header = _parse_header(line)
        if header is not None:
          if header[1] == 0:
            raise ValueError(f'{where}: word2vec header announces dimension 0.')
          dim = header[1]
          continue
        dim = len(line.split(' ')) - 1
        if dim == 0:
          raise ValueError(f'{where}: expected a word followed by its vector values.')
      word, values = _split_record(line, dim, where)
      count += 1
      yield word, values, where
  if count == 0:
    raise ValueError(
        f"{os.fspath(path)}: no vectors (empty file), expected GloVe or word2vec text lines "
        "'word v1 ... vd'."
    )
  if header is not None and header[0] != count:
    raise ValueError(
        f'{os.fspath(path)}: word2vec header announces {header[0]} vectors, file has {count}.'
    )


def vocabulary(path: str | os.PathLike[str]) -> Iterator[str]:
  """Every word of a GloVe or word2vec text file, in file order (values are not parsed)."""
  with contextlib.closing(_records(path)) as records:
    for word, _, _ in records:
      yield word


def read_word_vectors(
    path: str | os.PathLike[str],
    words: Sequence[str],
    *,
    on_missing: OnMissing = 'raise',
) -> tuple[np.ndarray, tuple[str, ...]]:
  """Looks ``words`` up in a GloVe or word2vec text file (``.gz`` read transparently).

  The file is streamed and reading stops once every word has been found exactly (a missing
  word, or one found only ignoring case, means reading to the end); only lines read are
  validated. A word matches exactly first; failing that, the first line whose
  word is equal ignoring case ('Anger' finds 'anger'). Duplicate lines: the first wins.

  Args:
    path: the vectors file.
    words: the words to look up; the result follows this order.
    on_missing: 'raise' raises a ValueError naming the file and every missing word; 'skip'
      leaves missing words out, so the rows belong to ``[w for w in words if w not in missing]``.

  Returns:
    ``(vectors, missing)``: float32 ``[num_found, d]`` and the missing words, in request order.
  """
  if isinstance(words, str):
    raise TypeError(f'words must be a sequence of words, not the string {words!r}.')
  if on_missing not in ('raise', 'skip'):
    raise ValueError(f"on_missing must be 'raise' or 'skip', got {on_missing!r}.")
  wanted = set(words)
  wanted_folded = {w.casefold() for w in words}
  exact: dict[str, np.ndarray] = {}
  folded: dict[str, np.ndarray] = {}
  dim = 0
  with contextlib.closing(_records(path)) as records:
    for word, values, where in records:
      dim = len(values)
      key = word.casefold()
      new_exact = word in wanted and word not in exact
      if new_exact or (key in wanted_folded and key not in folded):
        vector = _parse_values(values, where)
        folded.setdefault(key, vector)
        if new_exact:
          exact[word] = vector
      if len(exact) == len(wanted):
        break
  found = {w: exact.get(w, folded.get(w.casefold())) for w in words}
  missing = tuple(w for w in dict.fromkeys(words) if found[w] is None)
  if missing and on_missing == 'raise':
    listed = ', '.join(repr(w) for w in missing)
    raise ValueError(f'{os.fspath(path)}: not found: {listed} ({len(missing)} of {len(found)}).')
  rows = [found[w] for w in words if found[w] is not None]
  vectors = np.stack(rows) if rows else np.zeros((0, dim), np.float32)
  return vectors, missing


@functools.lru_cache(maxsize=1)
def _emotion_asset() -> tuple[dict[str, int], np.ndarray]:
  """Reads the packaged table once: (row of each lower-cased word, read-only vectors)."""
  resource = importlib.resources.files(_ASSET_PACKAGE).joinpath(_ASSET_PATH)
  with resource.open('rb') as f, np.load(f) as data:
    words = [str(w) for w in data['words']]
    vectors = np.asarray(data['vectors'], dtype=np.float32)
  vectors.setflags(write=False)
  return {w.casefold(): i for i, w in enumerate(words)}, vectors


def load_emotion_table(words: Sequence[str] | None = None) -> np.ndarray:
  """Returns the packaged emotion word vectors, float32 ``[K, d]`` in the order of ``words``.

  Args:
    words: emotion words, matched ignoring case; None means all of ``EMOTION_WORDS``.

  Raises:
    ValueError: listing the words the table lacks and how to add them.
  """
  if isinstance(words, str):
    raise TypeError(f'words must be a sequence of words, not the string {words!r}.')
  index, vectors = _emotion_asset()
  words = EMOTION_WORDS if words is None else tuple(words)
  unknown = [w for w in words if w.casefold() not in index]
  if unknown:
    raise ValueError(
        f'No vector in the core emotion table for {", ".join(repr(w) for w in unknown)}. '
        'The whole packaged lexicon is read by packaged_vectors (label words: '
        f'emorec.data.label_vectors); to add words, list them in {LEXICON_TEXT} and '
        f'regenerate the tables with `{_REGENERATE}`.'
    )
  return vectors[[index[w.casefold()] for w in words]]


def centred_emotion_table(words: Sequence[str] | None = None) -> np.ndarray:
  """``load_emotion_table(words)`` centred on the mean of the whole packaged table and divided
  by the table's RMS norm after centring, float64 [K, d].

  Centring removes the direction every emotion word shares, which otherwise dominates their
  similarities (in the raw vectors 'sad' is closest to 'happy'). The synthetic corpus derives
  its prototypes from these vectors; emotion-embedding heads may score with them.
  """
  table = load_emotion_table().astype(np.float64)
  mean = table.mean(axis=0)
  rms = np.sqrt(np.mean(np.sum((table - mean) ** 2, axis=1)))
  return (load_emotion_table(words).astype(np.float64) - mean) / rms


def lexicon_entries(text: str | None = None) -> tuple[str, ...]:
  """The entries of the lexicon text (default: the packaged ``assets/emotion_lexicon.txt``).

  One entry per line, '#' starting a comment; entries are lower-cased, listed once, with
  single spaces between words.
  """
  if text is None:
    text = importlib.resources.files(_ASSET_PACKAGE).joinpath(LEXICON_TEXT).read_text('utf-8')
  entries = []
  for lineno, line in enumerate(text.splitlines(), start=1):
    entry = line.split('#', 1)[0].strip()
    if not entry:
      continue
    if entry != ' '.join(entry.lower().split()):
      raise ValueError(f'{LEXICON_TEXT}, line {lineno}: {entry!r}, expected lower case with '
                       'single spaces.')
    if entry in entries:
      raise ValueError(f'{LEXICON_TEXT}, line {lineno}: {entry!r} is listed twice.')
    entries.append(entry)
  return tuple(entries)


@functools.lru_cache(maxsize=1)
def packaged_vectors() -> tuple[tuple[str, ...], np.ndarray]:
  """The whole packaged lexicon: (entries, read-only float32 vectors [N, 384]).

  The core words come first with their float32 vectors, then the other entries of the
  lexicon (stored as float16).
  """
  index, core = _emotion_asset()
  resource = importlib.resources.files(_ASSET_PACKAGE).joinpath(LEXICON_ASSET)
  with resource.open('rb') as f, np.load(f, allow_pickle=False) as data:
    words = tuple(str(w) for w in data['words'])
    vectors = np.asarray(data['vectors'], dtype=np.float32)
  all_vectors = np.concatenate([core, vectors])
  all_vectors.setflags(write=False)
  return (*sorted(index, key=index.get), *words), all_vectors
