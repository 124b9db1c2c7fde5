"""The base of every config: model, every objective term, training and evaluation; no data.

Every dataset config (synthetic, iemocap, meld, mosei) extends this file and adds `config.data`;
every method config (cmdm, contrastive, transfer) extends a dataset config and turns its terms
on. Because every term and its options are here, any mix is one override away:

  python launch/train.py --config=configs/cmdm.py:smoke --config.objective.contrastive=0.3

`--config=configs/base.py:ARG`, ARG a comma-separated list of:
  smoke               a tiny model and run (seconds; for tests)
  encoder=NAME        meanpool | gru | lstm | transformer
  fusion=NAME         concat | attention

The model parts a term needs are built only while its weight is non-zero: decoders for
`objective.reconstruction`, pair critics for `objective.contrastive` (bce and mine estimators),
a common code (`model.common_code` None) for `objective.mmd`, `objective.code_correlation` and
the infonce estimator. Fields left None are derived when the experiment is built
(emorec/objectives/model_parts.py), never copied, so overriding `model.hidden` moves every width
that follows it.
"""

import ml_collections

from emorec.experiments.config_args import parse_arg

_placeholder = ml_collections.config_dict.placeholder


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  args = parse_arg(arg, smoke=False, encoder='meanpool', fusion='concat')
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
  config.num_devices = _placeholder(int)
  config.model = _model(args.encoder, args.fusion)
  config.objective = _objective()
  config.cmdm = _cmdm()
  config.contrastive = _contrastive()
  config.pseudo_label = _pseudo_label()
  config.probe = _probe()
  config.train = _train()
  config.eval = ml_collections.ConfigDict()
  config.eval.batch_size = 256
  # Validation metric that selects the reported checkpoint: wa | ua | weighted_f1 | macro_f1
  # (multi-label: wacc | f1 | auc).
  config.eval.selection_metric = 'wa'
  # Probability above which an emotion is predicted present (multi-label).
  config.eval.threshold = 0.5
  if args.smoke:
    _shrink_for_smoke(config)
  return config


def _model(encoder: str, fusion: str) -> ml_collections.ConfigDict:
  model = ml_collections.ConfigDict()
  # The modalities read; dataset configs set those their corpus has.
  model.modalities = ('text', 'audio', 'vision')
  # Modality encoder: meanpool | gru | lstm | transformer.
  model.encoder = encoder
  # Width of every modality code, unless modality_hidden names the modality.
  model.hidden = 128
  model.modality_hidden = ml_collections.ConfigDict()
  # Fixed-architecture encoders replacing `encoder` per modality, e.g. {'audio':
  # 'spectrogram_cnn', 'text': 'attention_lstm'} (emorec/models/modality_encoders.py).
  model.modality_encoder = ml_collections.ConfigDict()
  model.num_layers = 2
  # Transformer heads.
  model.num_heads = 4
  # Recurrent encoders: both directions, merged by 'concat' or 'sum'; pooled by 'mean' or 'last'.
  model.bidirectional = True
  model.merge_directions = 'concat'
  model.pooling = 'mean'
  # Recurrent encoders: 'flax' (flax's cells) | 'fused' (recurrent.FusedRecurrentLayer) |
  # 'cudnn' (the fused layer through cuDNN: LSTM, CUDA GPU); steps per loop iteration (fused).
  model.recurrent_implementation = 'flax'
  model.recurrent_unroll = 1
  # Fusion of the modality codes: concat | attention.
  model.fusion = fusion
  model.fusion_hidden = 128
  model.dropout = 0.3
  # Project every modality's code to a common code z_m (fusion, heads, decoders and the MMD
  # then read it): True | False | None (when an active term compares codes across
  # modalities: mmd, code_correlation, the infonce estimator).
  model.common_code = _placeholder(bool)
  # Width of the common code; None: model.hidden.
  model.code_dim = _placeholder(int)
  # What each modality's decoder reconstructs (objective.reconstruction): 'statistics'
  # (per-utterance mean and std of the frames) | 'sequence' (every frame).
  model.reconstruction = 'statistics'
  # Decoder hidden width (None: model.hidden) and hidden layers (0: linear).
  model.decoder_width = _placeholder(int)
  model.decoder_depth = 1
  # Pair critics of the contrastive term's bce and mine estimators: hidden width, and the
  # pairs scored (None: contrastive.pairs).
  model.critic_hidden = 64
  model.critic_pairs = _placeholder(str)
  # Head: 'classifier' (dense heads on the fused and on each code) | 'emotion_embedding'
  # (MTEE: codes scored against the emotion word vectors; configs/transfer.py).
  model.head = 'classifier'
  # 'classifier': one head shared by every modality's common code (True; needs
  # model.common_code) or one head per modality (False).
  model.shared_modality_head = False
  model.emotion_embedding = _emotion_embedding()
  return model


def _emotion_embedding() -> ml_collections.ConfigDict:
  options = ml_collections.ConfigDict()
  # f_a and f_v, from the word vectors to the audio and visual codes: 'linear' | 'mlp'.
  options.map = 'linear'
  # f_t: 'identity' (needs the text code as wide as the word vectors) | 'linear' | 'mlp'.
  options.text_map = 'identity'
  # Hidden width of 'mlp' maps.
  options.map_hidden = 128
  # Score of an emotion: 'dot' <h_m, f_m(w)> | 'cosine' (divided by the temperature).
  options.similarity = 'dot'
  options.temperature = 0.1
  # Centre the word vectors on the whole emotion vocabulary: what every emotion word shares
  # would otherwise dominate their similarities (raw, 'sad' is closest to 'happy').
  options.centred = True
  # Where label words find their vectors: '' for the packaged lexicon, or a GloVe/word2vec
  # text file (.txt, .gz) or an .npz of words and vectors (emorec/data/label_vectors.py).
  options.vectors = ''
  return options


def _objective() -> ml_collections.ConfigDict:
  """Weights of every objective term (emorec/objectives); 0 leaves a term out."""
  objective = ml_collections.ConfigDict()
  # Cross-entropy (or BCE, multi-label) of the fused prediction on the labelled batch.
  objective.supervised = 1.0
  # Each modality's own classifier (predictions when a modality is missing).
  objective.modality_supervised = 0.25
  # CMDM: reconstruction error of every modality's autoencoder, labelled and unlabelled.
  objective.reconstruction = 0.0
  # CMDM: MMD^2 between the modalities' common-code distributions on unlabelled utterances.
  objective.mmd = 0.0
  # CMDM: divergence between the per-modality predictions on unlabelled utterances.
  objective.prediction_matching = 0.0
  # CMDM, paired: soft CCA between the modalities' common codes of each unlabelled utterance.
  objective.code_correlation = 0.0
  # CR: the same-emotion pair discriminator's loss (options in config.contrastive).
  objective.contrastive = 0.0
  # Pseudo-labels: a strong view's cross-entropy against the confident predictions of a weak
  # view of the unlabelled batch (options in config.pseudo_label).
  objective.pseudo_label = 0.0
  return objective


def _cmdm() -> ml_collections.ConfigDict:
  """Options of the reconstruction, mmd, prediction_matching and code_correlation terms."""
  cmdm = ml_collections.ConfigDict()
  # MMD^2 estimator: 'unbiased' (U-statistic) | 'biased' (V-statistic, never negative).
  cmdm.estimator = 'unbiased'
  # RBF bandwidths of the multi-kernel MMD; () takes the median heuristic below.
  cmdm.bandwidths = ()
  # Median-heuristic bandwidths, as multiples of the median distance of the pooled codes.
  cmdm.multipliers = (0.25, 0.5, 1.0, 2.0, 4.0)
  # Also match the code distributions on the labelled batch.
  cmdm.mmd_on_labelled = False
  # Prediction matching divergence: 'js' (Jensen-Shannon) | 'kl' (symmetric KL).
  cmdm.divergence = 'js'
  # Weight of the within-code decorrelation of code_correlation.
  cmdm.decorrelation = 1.0
  # Modality pairs matched: 'all' or e.g. 'text-audio,text-vision'.
  cmdm.pairs = 'all'
  return cmdm


def _contrastive() -> ml_collections.ConfigDict:
  """Options of the contrastive term (emorec/objectives/contrastive.py)."""
  contrastive = ml_collections.ConfigDict()
  # 'bce' (pair discriminator) | 'infonce' (cosine similarity) | 'mine' (Donsker-Varadhan).
  contrastive.estimator = 'bce'
  # Modality pairs regularized: 'all' or e.g. 'audio-text,audio-vision'.
  contrastive.pairs = 'audio-text'
  # Negative pairings: 'shuffle' (one per utterance) | 'all' | 'different_emotion'.
  contrastive.negatives = 'shuffle'
  # Positive pairings: 'same_utterance' | 'same_emotion' (also across utterances).
  contrastive.positives = 'same_utterance'
  # Temperature of the cosine similarity (infonce).
  contrastive.temperature = 0.1
  # Also regularize the unlabelled batch (shuffle or all negatives, same-utterance positives).
  contrastive.on_unlabelled = False
  # Regularize the labelled batch; False with on_unlabelled regularizes the unlabelled one only.
  contrastive.on_labelled = True
  return contrastive


def _views(noise: float, frame_dropout: float, modality_dropout: float) -> ml_collections.ConfigDict:
  """Augmentation of a view of a batch (emorec/training/augment.py)."""
  view = ml_collections.ConfigDict()
  # Standard deviation of the Gaussian noise added to every real frame's features.
  view.noise = noise
  # Share of each modality's real frames removed (the kept ones move up; at least one stays).
  view.frame_dropout = frame_dropout
  # Probability of removing a whole modality of an utterance (never all it has).
  view.modality_dropout = modality_dropout
  return view


def _pseudo_label() -> ml_collections.ConfigDict:
  """Options of the pseudo_label term (emorec/objectives/pseudo_label.py)."""
  pseudo_label = ml_collections.ConfigDict()
  # Weak-view probability above which the predicted class becomes a pseudo-label.
  pseudo_label.threshold = 0.95
  # The view whose predictions (no gradient) give the pseudo-labels, and the view trained on
  # them.
  pseudo_label.weak = _views(noise=0.1, frame_dropout=0.0, modality_dropout=0.0)
  pseudo_label.strong = _views(noise=0.5, frame_dropout=0.3, modality_dropout=0.3)
  return pseudo_label


def _probe() -> ml_collections.ConfigDict:
  """Options of the linear probes on pooled features (emorec/probes/run.py)."""
  probe = ml_collections.ConfigDict()
  # Principal components kept by the pca probe.
  probe.pca_components = 64
  # The cca probe: modality pairs ('all' or e.g. 'text-audio'), components per pair, ridge
  # added to each view's standardised covariance, and the representation read: 'concat' (both
  # views' canonical variates) | 'mean' (their mean).
  probe.cca_pairs = 'text-audio'
  probe.cca_components = 32
  probe.cca_regularization = 1e-3
  probe.cca_projection = 'concat'
  return probe


def _train() -> ml_collections.ConfigDict:
  train = ml_collections.ConfigDict()
  train.batch_size = 64
  # The unlabelled stream's batch (read by the terms that use unlabelled utterances).
  train.unlabelled_batch_size = 64
  train.num_steps = 3000
  # When set, overrides num_steps with this many passes over the labelled examples.
  train.num_epochs = _placeholder(float)
  train.learning_rate = 1e-3
  train.warmup_steps = 100
  # Cosine decay ends at learning_rate * final_lr_fraction.
  train.final_lr_fraction = 0.01
  train.weight_decay = 1e-2
  # Global-norm gradient clipping; 0 disables.
  train.grad_clip_norm = 1.0
  train.log_every = 100
  train.eval_every = 500
  train.checkpoint_every = 500
  train.max_checkpoints = 2
  # Stop after this many evaluations without a better validation score; 0 never stops early.
  train.early_stopping_evals = 0
  # k > 0 cuts every train and evaluation batch's padding after its longest real sequence,
  # rounded up to a multiple of k frames: real frames and masks unchanged (dropout draws
  # follow the frame count), one compilation per count, one process only, not with the
  # fixed-length spectrogram_cnn. 0: every batch keeps data.max_len frames.
  train.trim_padding = 0
  return train


def _shrink_for_smoke(config: ml_collections.ConfigDict) -> None:
  """A model and schedule small enough for a test to train in seconds."""
  config.model.hidden = 16
  config.model.fusion_hidden = 16
  config.model.num_layers = 1
  config.model.critic_hidden = 8
  config.train.batch_size = 16
  config.train.unlabelled_batch_size = 16
  config.train.num_steps = 6
  config.train.warmup_steps = 2
  config.train.log_every = 2
  config.train.eval_every = 3
  config.train.checkpoint_every = 3
  config.eval.batch_size = 32
