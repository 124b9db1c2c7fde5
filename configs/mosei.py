"""Supervised baseline on CMU-MOSEI, read from a release people have.

`--config=configs/mosei.py:ARG`, ARG a comma-separated list of:
  reader=NAME         csd: the CMU-MultimodalSDK computational sequences (words, COVAREP,
                      FACET 4.2, labels; frames overlapping each labelled segment) | mult:
                      mosei_senti_data.pkl (aligned sequences; sentiment only)
  manual_dir=DIR      the directory holding the release files (required)
  protocol=NAME       emotions (6-emotion multi-label, csd) | sentiment (3 classes by the
                      score's sign); default: emotions for csd, sentiment for mult
  data_dir=DIR        where the prepared dataset goes (default: TFDS's, ~/tensorflow_datasets)
  on_bad_utterance=P  error | drop (counted in the corpus info)
  max_len=N           frames per modality (COVAREP has 100 per second; default 50)
and any argument of configs/synthetic.py (smoke, encoder=NAME, fusion=NAME, label_fraction=F).
Splits: the SDK's standard folds from folds.json in manual_dir (emorec/data/real/mosei.py says
how to make it), else a deterministic hash of the video ids.
"""

import ml_collections

from emorec.data.real.config import data_config, with_data
from emorec.experiments.config_args import parse_arg, sibling_config, split_arg

_OWN_ARGS = {'reader': 'csd', 'manual_dir': '', 'protocol': '', 'data_dir': '',
             'on_bad_utterance': 'error', 'max_len': 50}


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  protocol = args.protocol or ('emotions' if args.reader == 'csd' else 'sentiment')
  data = data_config('mosei', args.reader, manual_dir=args.manual_dir, data_dir=args.data_dir,
                     protocol=protocol, on_bad_utterance=args.on_bad_utterance,
                     max_len=args.max_len)
  return with_data(sibling_config(__file__, 'synthetic')(rest), data)
