"""Supervised baseline on the embedded synthetic corpus.

`--config=configs/synthetic.py:ARG`, ARG a comma-separated list of:
  smoke               a tiny corpus, model and run (seconds; for tests)
  encoder=NAME        meanpool | gru | lstm | transformer
  fusion=NAME         concat | attention
  label_fraction=F    share of the training labels used (the rest stays unlabelled)
  testbed             the testbed network (README, Testbed): one per-frame layer of width
                      32, codes concatenated straight into the head, dropout 0.5, learning
                      rate 3e-3, and a step budget that grows with label_fraction (800 steps
                      up to 10%, 1600 up to 20%, 3000 above), evaluated every 100 steps
Every field below and in configs/base.py can also be overridden:
`--config.train.num_steps=500`, `--config.objective.mmd=1.0`.
"""

import dataclasses

import ml_collections

from emorec.data.labelled_share import add_labelled_share
from emorec.data.synthetic import SyntheticSpec
from emorec.experiments.config_args import parse_arg, sibling_config, split_arg

_OWN_ARGS = {'smoke': False, 'label_fraction': 1.0, 'testbed': False}
# The testbed network's step budget: (largest label share, steps), in increasing share.
TESTBED_BUDGETS = ((0.1, 800), (0.2, 1600), (1.0, 3000))


def testbed_steps(label_fraction: float) -> int:
  """Training steps of the testbed network at ``label_fraction`` of the labels."""
  return next(steps for share, steps in TESTBED_BUDGETS if label_fraction <= share)


def use_testbed_network(config: ml_collections.ConfigDict, label_fraction: float) -> None:
  """Sets the testbed network: the narrow, linear-fusion network that does not lose to the
  logistic-regression probe at any label share (README, Testbed)."""
  config.model.num_layers = 1
  config.model.hidden = 32
  config.model.fusion_hidden = 0
  config.model.dropout = 0.5
  config.train.learning_rate = 3e-3
  config.train.num_steps = testbed_steps(label_fraction)
  config.train.eval_every = 100
  config.train.checkpoint_every = config.train.num_steps


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
  if args.testbed:
    use_testbed_network(config, args.label_fraction)
  if args.smoke:
    config.data.synthetic.num_train = 256
    config.data.synthetic.num_validation = 64
    config.data.synthetic.num_test = 64
    config.data.max_len = 8
  return config
