r"""CMDM: semi-supervised cross-modal distribution matching (DESIGN.md section 3).

`--config=configs/cmdm.py:ARG`, ARG a comma-separated list of:
  dataset=NAME        the base config it extends: synthetic | iemocap | meld | mosei
                      (configs/NAME.py; MELD's pairs need its audio features)
  ablation=NAME       none | no_mmd | no_reconstruction | supervised (the same predicting
                      network, trained on the labelled cross-entropy terms only)
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

from typing import Callable

import ml_collections

from emorec.config_args import parse_arg, sibling_config, split_arg

# Arguments this file reads; the others go to the base config.
_OWN_ARGS = {'dataset': 'synthetic', 'ablation': 'none'}
# Objective weights each ablation sets to 0.
_ABLATIONS = {
    'none': (),
    'no_mmd': ('mmd',),
    'no_reconstruction': ('reconstruction',),
    'supervised': ('reconstruction', 'mmd', 'prediction_matching'),
}


def _base_config(dataset: str) -> Callable[[str], ml_collections.ConfigDict]:
  """`get_config` of the dataset's base config, which sets model.modalities to what the
  corpus has (cmdm.pairs 'all' follows them)."""
  bases = {name: name for name in ('synthetic', 'iemocap', 'meld', 'mosei')}
  if dataset not in bases:
    raise ValueError(f"unknown dataset {dataset!r}; choose one of: {', '.join(sorted(bases))}")
  return sibling_config(__file__, bases[dataset])


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  if args.ablation not in _ABLATIONS:
    raise ValueError(f"unknown ablation {args.ablation!r}; choose one of: {', '.join(_ABLATIONS)}")
  config = _base_config(args.dataset)(rest)

  # Width of the common code z_m every modality is projected to (fusion and heads read it).
  config.model.code_dim = config.model.hidden
  # What each modality's decoder reconstructs: 'statistics' (per-utterance mean and std of the
  # frames) | 'sequence' (every frame) | '' (no decoders).
  config.model.reconstruction = 'statistics'
  config.model.decoder_width = config.model.hidden
  # Hidden layers of each decoder (0: linear).
  config.model.decoder_depth = 1

  config.cmdm = ml_collections.ConfigDict()
  # MMD^2 estimator: 'unbiased' (U-statistic) | 'biased' (V-statistic, never negative).
  config.cmdm.estimator = 'unbiased'
  # RBF bandwidths of the multi-kernel MMD; () takes the median heuristic below.
  config.cmdm.bandwidths = ()
  # Median-heuristic bandwidths, as multiples of the median distance of the pooled codes.
  config.cmdm.multipliers = (0.25, 0.5, 1.0, 2.0, 4.0)
  # Also match the code distributions on the labelled batch.
  config.cmdm.mmd_on_labelled = False
  # Prediction matching divergence: 'js' (Jensen-Shannon) | 'kl' (symmetric KL).
  config.cmdm.divergence = 'js'
  # Modality pairs matched: 'all' or e.g. 'text-audio,text-vision'.
  config.cmdm.pairs = 'all'

  # Loss = supervised CE + modality_supervised CE + reconstruction + mmd + prediction_matching,
  # each times its weight below (the base config sets the first two). The paper's weights are
  # not public.
  # Reconstruction error of every modality, labelled and unlabelled utterances.
  config.objective.reconstruction = 1.0
  # MMD^2 between the modalities' common-code distributions on unlabelled utterances.
  config.objective.mmd = 1.0
  # Divergence between the per-modality predictions on unlabelled utterances (the
  # prediction-level variant; 0 leaves it out).
  config.objective.prediction_matching = 0.0

  for term in _ABLATIONS[args.ablation]:
    config.objective[term] = 0.0
  if not config.objective.reconstruction:
    config.model.reconstruction = ''
  return config
