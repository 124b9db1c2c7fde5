"""Supervised baseline on MELD, read from the official release.

`--config=configs/meld.py:ARG`, ARG a comma-separated list of:
  reader=NAME         csv: the official CSVs and feature files | conv_emotion:
                      MELD_features_raw.pkl (text 600, audio 300)
  manual_dir=DIR      the release directory (default: ../shared/data/meld beside the repo)
  features_dir=DIR    csv: where the feature files are (default: manual_dir)
  text=NAME           csv: lexical (token sequences of launch/extract_meld_text.py) |
                      lexical_pooled (their sentence embedding) | glove
                      (text_glove_average_emotion.pkl) | none
  audio=WHEN          csv: auto (read audio_embeddings_feature_selection_emotion.pkl when it is in
                      features_dir) | yes | no
  protocol=NAME       emotion (7 classes) | sentiment (3)
  data_dir=DIR        where the prepared dataset goes (default: TFDS's, ~/tensorflow_datasets)
  on_bad_utterance=P  error | drop (counted in the corpus info)
and any argument of configs/synthetic.py (smoke, encoder=NAME, fusion=NAME, label_fraction=F).
model.modalities follows the release: text only unless audio features are read.

Text features: python launch/extract_meld_text.py --output=DIR (see its docstring), then
  python launch/train.py --config=configs/meld.py:features_dir=DIR --workdir=runs/meld
"""

import pathlib

import ml_collections

from emorec.data.real import meld
from emorec.data.real.config import data_config, with_data
from emorec.experiments.config_args import parse_arg, sibling_config, split_arg

_DEFAULT_MANUAL_DIR = str(pathlib.Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'meld')
_OWN_ARGS = {'reader': 'csv', 'manual_dir': _DEFAULT_MANUAL_DIR, 'features_dir': '',
             'text': 'lexical', 'audio': 'auto', 'protocol': 'emotion', 'data_dir': '',
             'on_bad_utterance': 'error'}


def _release(args: ml_collections.ConfigDict) -> dict[str, object]:
  """The csv reader's options from the arguments."""
  features_dir = args.features_dir or args.manual_dir
  if args.audio not in ('auto', 'yes', 'no'):
    raise ValueError(f'audio must be auto, yes or no, got {args.audio!r}.')
  audio = (pathlib.Path(features_dir, meld.AUDIO_FILE).is_file() if args.audio == 'auto'
           else args.audio == 'yes')
  text = '' if args.text == 'none' else args.text
  dims = {**({'text': meld.TEXT_DIMS[text]} if text in meld.TEXT_DIMS else {}),
          **({'audio': meld.AUDIO_DIM} if audio else {})}
  return {'features_dir': features_dir, 'text': text, 'audio': audio, 'dims': dims}


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  release = _release(args) if args.reader == 'csv' else {}
  one_frame = args.reader != 'csv' or release['text'] != 'lexical'
  data = data_config('meld', args.reader, manual_dir=args.manual_dir, data_dir=args.data_dir,
                     protocol=args.protocol, release=release,
                     on_bad_utterance=args.on_bad_utterance, max_len=1 if one_frame else 50)
  return with_data(sibling_config(__file__, 'synthetic')(rest), data)
