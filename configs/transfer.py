r"""MTEE: modality-transferable emotion embeddings, zero-shot and few-shot (Dai et al., AACL 2020).

`--config=configs/transfer.py:ARG`, ARG a comma-separated list of:
  dataset=NAME        the dataset config it extends (configs/NAME.py: synthetic, iemocap,
                      meld, mosei, text, emodb; it also takes the arguments not listed here,
                      e.g. mosei's manual_dir=DIR or emodb's features_dir=DIR; mosei's
                      'emotions' protocol is the multi-label setting)
  smoke               a tiny corpus, model and run (seconds; for tests)
  multi_label         the CMU-MOSEI setting: utterances carry sets of the six MOSEI emotions;
                      binary cross-entropy with per-emotion pos_weight, per-emotion weighted
                      accuracy, F1 and AUC, checkpoint selected on the mean weighted accuracy
  held_out=EMOTION    zero-shot: EMOTION (several joined by '+') kept out of training, then
                      scored with every emotion (data.held_out)
  few_shot            with held_out: keep ceil(1% of its positives) + 1 of them (data.few_shot)
  label_fraction=F    share of the training labels used
  baseline            the plain classifier head on the same encoders, which has no output for
                      an emotion it did not train on
Every field can also be overridden: `--config.data.held_out="('sad',)"`.

The authors' defaults: 2-layer bidirectional LSTMs with directions summed and the last step
taken (hidden 300/200/100 for text/audio/visual in the paper, whose word vectors are the 300-d
GloVe; here the text code is as wide as the packaged 384-d emotion vectors, so that f_t is the
identity: override `model.modality_hidden.text=300` with `model.emotion_embedding.text_map=
linear` for a learned text map), linear f_a and f_v, dot-product scores; batch 64, Adam 1e-3,
dropout 0.15, gradient clipping at norm 1, 100 epochs with early stopping on validation,
threshold 0.5, sequence length 50.

Zero-shot benchmark (the README table): for each held-out emotion, MTEE zero-shot and
few-shot vs chance, vs MTEE and the plain classifier trained on every emotion, and vs the plain
classifier with the emotion held out (5 seeds each, on the multi-label corpus; the README's
figures used mean-pool encoders and 400 steps, as here):

  python launch/zero_shot.py --config=configs/transfer.py:multi_label --num_seeds=5 \
    --config.model.encoder=meanpool --config.data.max_len=24 --config.train.num_epochs=0 \
    --config.train.num_steps=400 --config.train.eval_every=200 \
    --config.train.checkpoint_every=400 --held_out=happy,sad,anger --workdir=runs/zero_shot

Low-resource curve, MTEE vs the plain classifier at 1%, 5% and 20% of the labels (the README's
figures: 300 steps):

  python launch/compare.py --config=configs/transfer.py --num_seeds=5 \
    --config.model.encoder=meanpool --config.data.max_len=24 --config.train.num_epochs=0 \
    --config.train.num_steps=300 --config.train.eval_every=150 --config.train.checkpoint_every=300 \
    --workdir=runs/transfer_low_resource \
    --row='1%:data.label_fraction=0.01' --row='5%:data.label_fraction=0.05' \
    --row='20%:data.label_fraction=0.2' \
    --variant='MTEE:model.head=emotion_embedding' --variant='classifier:model.head=classifier'

(`--config=configs/transfer.py:multi_label` gives the same curve in the MOSEI setting.)
Both accept config overrides after the config, e.g. `--config.train.num_epochs=20` for a
shorter budget than the authors' 100 epochs. Check a command end to end in seconds with the
`smoke` argument, e.g. `--config=configs/transfer.py:multi_label,smoke --num_seeds=2`.

Training speed: `python launch/benchmark.py --config=configs/transfer.py --steps=5 --repeats=3`.
"""

import ml_collections

from emorec.data.real import config as real_config
from emorec.experiments.config_args import dataset_config, parse_arg, split_arg

# The emotions of CMU-MOSEI, in its label order.
MOSEI_EMOTIONS = ('happy', 'sad', 'anger', 'surprise', 'disgust', 'fear')
# Width of the packaged emotion word vectors (all-MiniLM-L6-v2), the text code's width.
_TEXT_WIDTH = 384
# Arguments this file reads; the others go to the base config.
_OWN_ARGS = {'dataset': 'synthetic', 'smoke': False, 'multi_label': False, 'held_out': '',
             'few_shot': False, 'label_fraction': 1.0, 'baseline': False}


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  base_arg = f'encoder=lstm,label_fraction={args.label_fraction}' + (',smoke' if args.smoke else '')
  config = dataset_config(__file__, args.dataset)(','.join(filter(None, (base_arg, rest))))

  if args.multi_label:
    if args.dataset != 'synthetic':
      raise ValueError(f"multi_label sets the synthetic corpus; {args.dataset}'s protocol "
                       'decides (mosei: emotions).')
    config.data.synthetic.multi_label = True
    config.data.synthetic.emotions = MOSEI_EMOTIONS
  multi_label = real_config.multi_label(config.data)
  if args.dataset == 'synthetic':
    # Frames per modality after truncation/padding (real corpora keep their reader's).
    config.data.max_len = 50
  # Emotions kept out of training (emorec/evaluation/protocols.py): zero-shot, or few-shot with data.few_shot.
  config.data.held_out = tuple(filter(None, args.held_out.split('+')))
  # 0: zero-shot; s > 0 keeps ceil(s * P) + 1 of the P positives of each held-out emotion.
  config.data.few_shot = 0.01 if args.few_shot else 0.0

  # 'emotion_embedding' (MTEE) | 'classifier' (dense heads on the fused and on each code).
  config.model.head = 'classifier' if args.baseline else 'emotion_embedding'
  config.model.num_layers = 2
  config.model.bidirectional = True
  config.model.merge_directions = 'sum'
  config.model.pooling = 'last'
  config.model.hidden = 200
  # The text width is the word vectors' dimension (f_t is the identity).
  config.model.modality_hidden = _widths(config, {'text': _TEXT_WIDTH, 'audio': 200, 'vision': 100})
  # A common code, when a term compares codes across modalities (mmd), lives in the word-vector
  # space too, so that the identity f_t still applies.
  config.model.code_dim = _TEXT_WIDTH
  config.model.dropout = 0.15
  # The head's options are config.model.emotion_embedding (configs/base.py): linear f_a and
  # f_v, identity f_t, dot-product scores, centred word vectors.

  # The fused loss only: the per-modality scores are summed into the logits.
  config.objective.modality_supervised = 0.0

  # Adam at a constant 1e-3, gradients clipped at global norm 1.
  config.train.batch_size = 64
  config.train.learning_rate = 1e-3
  config.train.warmup_steps = 0
  config.train.final_lr_fraction = 1.0
  config.train.weight_decay = 0.0
  config.train.grad_clip_norm = 1.0
  config.train.num_epochs = 100.0
  # About one epoch of the 10k training utterances; stop after 10 without improvement.
  config.train.eval_every = 160
  config.train.checkpoint_every = 800
  config.train.early_stopping_evals = 10

  config.eval.selection_metric = 'wacc' if multi_label else 'wa'

  if args.smoke:
    _shrink_for_smoke(config)
  return config


def _widths(config: ml_collections.ConfigDict,
            widths: dict[str, int]) -> ml_collections.ConfigDict:
  """`model.modality_hidden` of the modalities the corpus has."""
  return ml_collections.ConfigDict(
      {m: width for m, width in widths.items() if m in config.model.modalities})


def _shrink_for_smoke(config: ml_collections.ConfigDict) -> None:
  """On top of the base config's smoke settings: short sequences, one layer, six steps."""
  config.data.max_len = 8
  config.model.num_layers = 1
  config.model.modality_hidden = _widths(config, {'text': _TEXT_WIDTH, 'audio': 16, 'vision': 8})
  config.train.num_epochs = None
  config.train.eval_every = 3
  config.train.checkpoint_every = 3
  config.train.early_stopping_evals = 0
