r"""CR: contrastive regularization with a same-emotion pair discriminator (DESIGN.md section 3).

`--config=configs/contrastive.py:ARG`, ARG a comma-separated list of:
  dataset=NAME        the base config: synthetic | iemocap | meld | mosei (configs/NAME.py,
                      which also takes the arguments not listed here, e.g. meld's
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
`model.critic_pairs` follows `contrastive.pairs`. The 'infonce' estimator uses no critic:
override `model.critic_hidden=0` with it (the `estimator=infonce` argument does).

Benchmark (the README table): baseline vs each estimator at alpha 0.1, 0.3 and 0.5 for conflict
shares 0, 0.2 and 0.4, 5 seeds each (the budget the README's figures used: 300 steps, width 64):

  infonce='contrastive.estimator=infonce;model.critic_hidden=0'
  mine='contrastive.estimator=mine'
  python launch/compare.py --config=configs/contrastive.py --num_seeds=5 --workdir=runs/cr \
    --config.train.num_steps=300 --config.train.eval_every=150 \
    --config.train.checkpoint_every=300 --config.model.hidden=64 --config.model.fusion_hidden=64 \
    --row='conflicts 0%:data.synthetic.conflict_share=0.0' \
    --row='conflicts 20%:data.synthetic.conflict_share=0.2' \
    --row='conflicts 40%:data.synthetic.conflict_share=0.4' \
    --variant='baseline:contrastive.alpha=0.0;model.critic_hidden=0' \
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

from emorec.config_args import parse_arg, sibling_config, split_arg

# Arguments this file reads; the others go to the base config.
_OWN_ARGS = {'dataset': 'synthetic', 'smoke': False, 'estimator': 'bce', 'alpha': 0.3,
             'conflict_share': '', 'baseline': False, 'authors': False}
_DATASETS = ('synthetic', 'iemocap', 'meld', 'mosei')


def _base_config(dataset: str, arg: str) -> ml_collections.ConfigDict:
  """`get_config(arg)` of configs/DATASET.py (config files are loaded by path)."""
  if dataset not in _DATASETS:
    raise ValueError(f"unknown dataset {dataset!r}; choose one of: {', '.join(_DATASETS)}")
  return sibling_config(__file__, dataset)(arg)


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  base_arg = ','.join(filter(None, ('smoke' if args.smoke else '', rest)))
  config = _base_config(args.dataset, base_arg)
  if args.conflict_share:
    if args.dataset != 'synthetic':
      raise ValueError(f'conflict_share sets the synthetic corpus, not {args.dataset}.')
    config.data.synthetic.conflict_share = float(args.conflict_share)

  # Width of the common code z_m each modality is projected to; fusion, heads and CR read it.
  config.model.code_dim = config.model.hidden

  config.contrastive = ml_collections.ConfigDict()
  # Loss = (1 - alpha) * CE + alpha * L_disc (through the objective weights below).
  config.contrastive.alpha = 0.0 if args.baseline else args.alpha
  # 'bce' (pair discriminator) | 'infonce' (cosine similarity) | 'mine' (Donsker-Varadhan).
  config.contrastive.estimator = args.estimator
  # Modality pairs regularized: 'all' or e.g. 'audio-text,audio-vision'.
  config.contrastive.pairs = 'audio-text'
  # Negative pairings: 'shuffle' (one per utterance) | 'all' | 'different_emotion'.
  config.contrastive.negatives = 'shuffle'
  # Positive pairings: 'same_utterance' | 'same_emotion' (also across utterances).
  config.contrastive.positives = 'same_utterance'
  # Temperature of the cosine similarity (infonce).
  config.contrastive.temperature = 0.1
  # Also regularize the unlabelled batch (shuffle or all negatives, same-utterance positives).
  config.contrastive.on_unlabelled = False

  # Pair critics of the bce and mine estimators: hidden width (0: none) and the pairs scored.
  config.model.critic_hidden = 8 if args.smoke else 64
  if args.baseline or args.estimator == 'infonce':
    config.model.critic_hidden = 0
  config.model.critic_pairs = config.contrastive.get_ref('pairs')

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
  config.model.code_dim = 0
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
