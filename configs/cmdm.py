r"""CMDM: semi-supervised cross-modal distribution matching (Liang, Li and Jin, ACM MM 2020).

`--config=configs/cmdm.py:ARG`, ARG a comma-separated list of:
  dataset=NAME        the dataset config it extends (configs/NAME.py: synthetic, iemocap,
                      meld, mosei; MELD's pairs need its audio features)
  ablation=NAME       none | no_mmd | no_reconstruction | supervised (the same predicting
                      network, trained on the labelled cross-entropy terms only)
  paired=True         the paired fix (README, testbed): the reconstruction term replaced by
                      the paired code correlation (weight 3) beside the MMD, on unlabelled
                      batches of 256 (the correlations need them)
and any argument of the base config, passed on to it, e.g. for synthetic:
  smoke, label_fraction=F, encoder=NAME, fusion=NAME
or for meld: features_dir=DIR (see configs/meld.py).
Every field can also be overridden: `--config.objective.mmd=0.5`.

Benchmark (the README table): label shares 2% to 100% x {supervised, CMDM, its ablations},
5 seeds each, and the share of the baseline's 10%-to-100% gap that CMDM closes:

  python launch/compare.py --config=configs/cmdm.py --num_seeds=5 --workdir=runs/cmdm \
  --config.train.num_steps=500 --config.train.eval_every=250 --config.train.checkpoint_every=500 \
  --row='2%:data.label_fraction=0.02' --row='5%:data.label_fraction=0.05' \
  --row='10%:data.label_fraction=0.1' --row='20%:data.label_fraction=0.2' \
  --row='100%:data.label_fraction=1.0' \
  --variant='supervised:objective.reconstruction=0;objective.mmd=0;model.reconstruction=' \
  --variant='CMDM:' \
  --variant='CMDM w/o MMD:objective.mmd=0' \
  --variant='CMDM w/o reconstruction:objective.reconstruction=0;model.reconstruction=' \
  --gap_closed='CMDM,supervised,10%,100%'
"""

import ml_collections

from emorec.experiments.config_args import dataset_config, parse_arg, split_arg
from emorec.registry import check_choice

# Arguments this file reads; the others go to the dataset config.
_OWN_ARGS = {'dataset': 'synthetic', 'ablation': 'none', 'paired': False}
# Objective weights each ablation sets to 0.
_ABLATIONS = {
    'none': (),
    'no_mmd': ('mmd',),
    'no_reconstruction': ('reconstruction',),
    'supervised': ('reconstruction', 'mmd', 'prediction_matching'),
}


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  check_choice('ablation', args.ablation, _ABLATIONS)
  config = dataset_config(__file__, args.dataset)(rest)
  # Every ablation keeps the same predicting network: the common code z_m is always built.
  config.model.common_code = True
  # Loss = supervised CE + modality_supervised CE + reconstruction + mmd + prediction_matching,
  # each times its weight (options in config.cmdm, configs/base.py). The paper's weights are
  # not public.
  config.objective.reconstruction = 1.0
  config.objective.mmd = 1.0
  if args.paired:
    config.objective.reconstruction = 0.0
    config.objective.code_correlation = 3.0
    config.train.unlabelled_batch_size = 256
  for term in _ABLATIONS[args.ablation]:
    config.objective[term] = 0.0
  return config
