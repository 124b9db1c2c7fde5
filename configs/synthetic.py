"""Supervised baseline on the embedded synthetic corpus.

`--config=configs/synthetic.py:ARG`, ARG a comma-separated list of:
  smoke               a tiny corpus, model and run (seconds; for tests)
  encoder=NAME        meanpool | gru | lstm | transformer
  fusion=NAME         concat | attention
  label_fraction=F    share of the training labels used (the rest stays unlabelled)
Every field below can also be overridden: `--config.train.num_steps=500`.
"""

import dataclasses

import ml_collections

from emorec.config_args import parse_arg
from emorec.data.synthetic import SyntheticSpec


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  args = parse_arg(arg, smoke=False, encoder='meanpool', fusion='concat', label_fraction=1.0)
  config = ml_collections.ConfigDict()
  # Root seed: initialisation, dropout, the labelled subset and the data order derive from it.
  config.seed = 0
  # Seed ensemble: K replicas (seeds seed, seed+1, …) trained together in one program.
  config.num_seeds = 1
  # How the replicas share one program: 'vectorized' (vmap) | 'sequential' (lax.map, faster
  # on CPU: see the README's seed-ensemble table) | 'auto' (sequential on CPU, vectorized on
  # accelerators).
  config.seed_axis = 'auto'
  # Devices of the data mesh; None uses every device of every process.
  config.num_devices = ml_collections.config_dict.placeholder(int)

  config.data = ml_collections.ConfigDict()
  config.data.name = 'synthetic'
  # Seed of the labelled subset and the data order; None follows config.seed.
  config.data.seed = ml_collections.config_dict.placeholder(int)
  # Share of the training split whose labels are used; all of it feeds the unlabelled stream.
  config.data.label_fraction = args.label_fraction
  # Sample the labelled share per class, so that rare emotions keep their share.
  config.data.stratified = True
  # Frames per modality after truncation/padding (fixed shapes: one compilation).
  config.data.max_len = 24
  # The generator's knobs (emorec.data.synthetic.SyntheticSpec documents each).
  config.data.synthetic = dataclasses.asdict(SyntheticSpec())

  config.model = ml_collections.ConfigDict()
  config.model.modalities = ('text', 'audio', 'vision')
  # Modality encoder: meanpool | gru | lstm | transformer.
  config.model.encoder = args.encoder
  # Width of every modality code, unless modality_hidden names the modality.
  config.model.hidden = 128
  config.model.modality_hidden = ml_collections.ConfigDict()
  config.model.num_layers = 2
  # Transformer heads.
  config.model.num_heads = 4
  # Recurrent encoders: both directions, merged by 'concat' or 'sum'; pooled by 'mean' or 'last'.
  config.model.bidirectional = True
  config.model.merge_directions = 'concat'
  config.model.pooling = 'mean'
  # Recurrent encoders: 'flax' (flax's cells) | 'fused' (recurrent.FusedRecurrentLayer) |
  # 'cudnn' (the fused layer through cuDNN: LSTM, CUDA GPU); steps per loop iteration (fused).
  config.model.recurrent_implementation = 'flax'
  config.model.recurrent_unroll = 1
  # Fusion of the modality codes: concat | attention.
  config.model.fusion = args.fusion
  config.model.fusion_hidden = 128
  config.model.dropout = 0.3

  # Weights of the objective terms; 0 leaves a term out.
  config.objective = ml_collections.ConfigDict()
  config.objective.supervised = 1.0
  # Each modality's own classifier (predictions when a modality is missing).
  config.objective.modality_supervised = 0.25

  config.train = ml_collections.ConfigDict()
  config.train.batch_size = 64
  # The unlabelled stream's batch (used by the semi-supervised terms).
  config.train.unlabelled_batch_size = 64
  config.train.num_steps = 3000
  # When set, overrides num_steps with this many passes over the labelled examples.
  config.train.num_epochs = ml_collections.config_dict.placeholder(float)
  config.train.learning_rate = 1e-3
  config.train.warmup_steps = 100
  # Cosine decay ends at learning_rate * final_lr_fraction.
  config.train.final_lr_fraction = 0.01
  config.train.weight_decay = 1e-2
  # Global-norm gradient clipping; 0 disables.
  config.train.grad_clip_norm = 1.0
  config.train.log_every = 100
  config.train.eval_every = 500
  config.train.checkpoint_every = 500
  config.train.max_checkpoints = 2
  # Stop after this many evaluations without a better validation score; 0 never stops early.
  config.train.early_stopping_evals = 0

  config.eval = ml_collections.ConfigDict()
  config.eval.batch_size = 256
  # Validation metric that selects the reported checkpoint: wa | ua | weighted_f1 | macro_f1.
  config.eval.selection_metric = 'wa'

  if args.smoke:
    _shrink_for_smoke(config)
  return config


def _shrink_for_smoke(config: ml_collections.ConfigDict) -> None:
  """A corpus, model and schedule small enough for a test to train in seconds."""
  config.data.synthetic.num_train = 256
  config.data.synthetic.num_validation = 64
  config.data.synthetic.num_test = 64
  config.data.max_len = 8
  config.model.hidden = 16
  config.model.fusion_hidden = 16
  config.model.num_layers = 1
  config.train.batch_size = 16
  config.train.unlabelled_batch_size = 16
  config.train.num_steps = 6
  config.train.warmup_steps = 2
  config.train.log_every = 2
  config.train.eval_every = 3
  config.train.checkpoint_every = 3
  config.eval.batch_size = 32
