r"""CR: contrastive regularization with a same-emotion pair discriminator (Qian, Han et al., 2022).

`--config=configs/contrastive.py:ARG`, ARG a comma-separated list of:
  dataset=NAME        the dataset config it extends (configs/NAME.py: synthetic, iemocap,
                      meld, mosei; it also takes the arguments not listed here, e.g. meld's
                      features_dir=DIR; the regularized pairs need the corpus's audio)
  smoke               a tiny corpus, model and run (seconds; for tests)
  estimator=NAME      bce | infonce | mine
  alpha=F             loss = (1 - F) * CE + F * L_disc
  conflict_share=F    share of utterances with one conflicting modality
                      (data.synthetic.conflict_share; the corpus default when not given;
                      synthetic only)
  baseline            CR off (alpha 0, no critic): the same predicting network on CE alone
  authors             the CR authors' baseline network: a spectrogram CNN for audio (4 x [3x3
                      conv, 8 filters, ReLU, 2x2 max-pool] -> dense 512) and an attention-pooled
                      LSTM (200) for text, concatenated (712) -> dropout 0.7 -> linear; Adam
                      1e-3, batch 128
Every field can also be overridden: `--config.contrastive.alpha=0.5`. `objective.supervised`
(1 - alpha) and `objective.contrastive` (alpha) follow `contrastive.alpha`, and
`model.critic_pairs` follows `contrastive.pairs`. The pair critics are built only for the
estimators that read them (bce, mine).

Benchmark (the README table): baseline vs each estimator at alpha 0.1, 0.3 and 0.5 for conflict
shares 0, 0.2 and 0.4, 5 seeds each (the budget the README's figures used: 300 steps, width 64):

  infonce='contrastive.estimator=infonce'
  mine='contrastive.estimator=mine'
  python launch/compare.py --config=configs/contrastive.py --num_seeds=5 --workdir=runs/cr \
    --config.train.num_steps=300 --config.train.eval_every=150 \
    --config.train.checkpoint_every=300 --config.model.hidden=64 --config.model.fusion_hidden=64 \
    --row='conflicts 0%:data.synthetic.conflict_share=0.0' \
    --row='conflicts 20%:data.synthetic.conflict_share=0.2' \
    --row='conflicts 40%:data.synthetic.conflict_share=0.4' \
    --variant='baseline:contrastive.alpha=0.0' \
    --variant='BCE α=0.1:contrastive.alpha=0.1' \
    --variant='BCE α=0.3:contrastive.alpha=0.3' \
    --variant='BCE α=0.5:contrastive.alpha=0.5' \
    --variant="InfoNCE α=0.1:$infonce;contrastive.alpha=0.1" \
    --variant="InfoNCE α=0.3:$infonce;contrastive.alpha=0.3" \
    --variant="InfoNCE α=0.5:$infonce;contrastive.alpha=0.5" \
    --variant="MINE α=0.1:$mine;contrastive.alpha=0.1" \
    --variant="MINE α=0.3:$mine;contrastive.alpha=0.3" \
    --variant="MINE α=0.5:$mine;contrastive.alpha=0.5"
"""

import ml_collections

from emorec.experiments.config_args import dataset_config, parse_arg, split_arg

# Arguments this file reads; the others go to the dataset config.
_OWN_ARGS = {'dataset': 'synthetic', 'smoke': False, 'estimator': 'bce', 'alpha': 0.3,
             'conflict_share': '', 'baseline': False, 'authors': False}


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  base_arg = ','.join(filter(None, ('smoke' if args.smoke else '', rest)))
  config = dataset_config(__file__, args.dataset)(base_arg)
  if args.conflict_share:
    if args.dataset != 'synthetic':
      raise ValueError(f'conflict_share sets the synthetic corpus, not {args.dataset}.')
    config.data.synthetic.conflict_share = float(args.conflict_share)
  # The baseline keeps the same predicting network: the common code z_m is always built.
  config.model.common_code = True
  # Options of the term in config.contrastive (configs/base.py). The loss is
  # (1 - alpha) * CE + alpha * L_disc: objective.supervised and objective.contrastive follow
  # contrastive.alpha.
  config.contrastive.alpha = 0.0 if args.baseline else args.alpha
  config.contrastive.estimator = args.estimator
  alpha = config.contrastive.get_ref('alpha')
  config.objective.supervised = 1.0 - alpha
  config.objective.contrastive = alpha
  # The paper's loss has no per-modality heads' CE.
  config.objective.modality_supervised = 0.0
  if args.authors:
    _authors_network(config, smoke=args.smoke)
  return config


def _authors_network(config: ml_collections.ConfigDict, *, smoke: bool) -> None:
  """The CR authors' baseline network and optimizer (the module docstring's `authors`)."""
  config.model.modalities = ('audio', 'text')
  config.model.modality_encoder = {'audio': 'spectrogram_cnn', 'text': 'attention_lstm'}
  config.model.modality_hidden = {'audio': 512, 'text': 200}
  # The critics read the encoder outputs themselves; the fusion concatenates them (712).
  config.model.common_code = False
  config.model.fusion = 'concat'
  config.model.fusion_hidden = 0
  config.model.dropout = 0.7
  # Plain Adam at a constant 1e-3.
  config.train.learning_rate = 1e-3
  config.train.warmup_steps = 0
  config.train.final_lr_fraction = 1.0
  config.train.weight_decay = 0.0
  config.train.grad_clip_norm = 0.0
  if not smoke:
    config.train.batch_size = 128
