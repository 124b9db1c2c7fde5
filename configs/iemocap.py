"""Supervised baseline on IEMOCAP, read from a release people have.

`--config=configs/iemocap.py:ARG`, ARG a comma-separated list of:
  reader=NAME         conv_emotion: IEMOCAP_features.pkl (one vector per utterance and
                      modality; 6 classes) | mult: iemocap_data.pkl (aligned sequences of 50
                      steps; 4 classes)
  manual_dir=DIR      the directory holding the release file (required)
  protocol=NAME       4class (neutral, happy + excited, sad, angry) | 6class (conv_emotion)
  split=NAME          release (the release's splits, validation carved from train) | loso
  fold=K              loso: the session tested on (1..5)
  data_dir=DIR        where the prepared dataset goes (default: TFDS's, ~/tensorflow_datasets)
  on_bad_utterance=P  error | drop (counted in the corpus info)
and any argument of configs/synthetic.py (smoke, encoder=NAME, fusion=NAME, label_fraction=F).
The conv_emotion release's feature dimensions differ between its versions: override them to
what the file holds, e.g. `--config.data.release.dims.audio=100` (defaults: DialogueGCN's).

Leave-one-session-out, all five folds:
  for k in 1 2 3 4 5; do python launch/train.py \
    --config=configs/iemocap.py:manual_dir=DIR,split=loso,fold=$k --workdir=runs/iemocap/$k
  done
"""

import ml_collections

from emorec.data.real.config import data_config, with_data
from emorec.experiments.config_args import parse_arg, sibling_config, split_arg

_OWN_ARGS = {'reader': 'conv_emotion', 'manual_dir': '', 'protocol': '4class',
             'split': 'release', 'fold': 1, 'data_dir': '', 'on_bad_utterance': 'error'}


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  data = data_config('iemocap', args.reader, manual_dir=args.manual_dir,
                     data_dir=args.data_dir, protocol=args.protocol, split=args.split,
                     fold=args.fold, on_bad_utterance=args.on_bad_utterance,
                     max_len=1 if args.reader == 'conv_emotion' else 50)
  return with_data(sibling_config(__file__, 'synthetic')(rest), data)
