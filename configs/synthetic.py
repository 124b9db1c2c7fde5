"""Supervised baseline on the embedded synthetic corpus.

`--config=configs/synthetic.py:ARG`, ARG a comma-separated list of:
  smoke               a tiny corpus, model and run (seconds; for tests)
  encoder=NAME        meanpool | gru | lstm | transformer
  fusion=NAME         concat | attention
  label_fraction=F    share of the training labels used (the rest stays unlabelled)
Every field below and in configs/base.py can also be overridden:
`--config.train.num_steps=500`, `--config.objective.mmd=1.0`.
"""

import dataclasses

import ml_collections

from emorec.data.labelled_share import add_labelled_share
from emorec.data.synthetic import SyntheticSpec
from emorec.experiments.config_args import parse_arg, sibling_config, split_arg

_OWN_ARGS = {'smoke': False, 'label_fraction': 1.0}


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  base_arg = ','.join(filter(None, (rest, 'smoke' if args.smoke else '')))
  config = sibling_config(__file__, 'base')(base_arg)
  config.data = ml_collections.ConfigDict()
  config.data.name = 'synthetic'
  add_labelled_share(config.data, args.label_fraction)
  # Frames per modality after truncation/padding (fixed shapes: one compilation).
  config.data.max_len = 24
  # The generator's knobs (emorec.data.synthetic.SyntheticSpec documents each).
  config.data.synthetic = dataclasses.asdict(SyntheticSpec())
  if args.smoke:
    config.data.synthetic.num_train = 256
    config.data.synthetic.num_validation = 64
    config.data.synthetic.num_test = 64
    config.data.max_len = 8
  return config
