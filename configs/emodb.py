r"""EmoDB (Berlin Database of Emotional Speech): 7 emotions from acoustic features, LOSO.

`--config=configs/emodb.py:ARG`, ARG a comma-separated list of:
  audio_dir=DIR       the corpus folder, holding labels.csv and wav/ (default:
                      ../shared/data/emodb beside the repo)
  features_dir=DIR    launch/extract_audio.py's output (default: runs/emodb_features in the repo)
  feature=NAME        egemaps_lld | egemaps_functionals | compare_lld | compare_functionals |
                      logmel (emorec/audio/features.py)
  fold=N              leave-one-speaker-out fold 1..10: test on the N-th speaker (sorted),
                      validate on the next one, train on the other eight
  normalise=HOW       speaker (each speaker's own feature statistics) | train | none
  frame_pool=K        frames averaged K at a time before the encoder (sequences: 10 ms frames)
  on_bad_audio=P      error | skip (labelled files without features are dropped, counted)
and any argument of configs/synthetic.py (smoke, encoder=NAME, fusion=NAME, label_fraction=F).

  python launch/extract_audio.py --audio_dir=../shared/data/emodb \
      --labels=../shared/data/emodb/labels.csv --output=runs/emodb_features --sample_rate=22050
  python launch/train.py --config=configs/emodb.py:feature=egemaps_lld,fold=1 --workdir=runs/emodb
  python launch/emodb_benchmark.py --features_dir=runs/emodb_features   # the README's table
"""

import pathlib

import ml_collections

from emorec.data.audio_folder.config import data_config
from emorec.experiments.config_args import parse_arg, sibling_config, split_arg

_REPO = pathlib.Path(__file__).resolve().parents[1]
# The labels CSV's emotion names, in label order.
EMOTIONS = ('anger', 'boredom', 'disgust', 'fear', 'happiness', 'neutral', 'sadness')
_OWN_ARGS = {'audio_dir': str(_REPO.parent / 'shared' / 'data' / 'emodb'),
             'features_dir': str(_REPO / 'runs' / 'emodb_features'), 'feature': 'egemaps_lld',
             'fold': 1, 'normalise': 'speaker', 'frame_pool': 4, 'on_bad_audio': 'error'}
# Frames of this copy's 2 s files: 10 ms frames, or one for functionals.
_FRAMES = 200


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  config = sibling_config(__file__, 'synthetic')(rest)
  one_frame = args.feature.endswith('functionals')
  pool = 1 if one_frame else args.frame_pool
  config.data = data_config(
      'emodb', audio_dir=args.audio_dir, labels=str(pathlib.Path(args.audio_dir, 'labels.csv')),
      features_dir=args.features_dir, emotions=EMOTIONS, feature=args.feature, fold=args.fold,
      normalisation=args.normalise, frame_pool=pool, on_bad_audio=args.on_bad_audio,
      max_len=1 if one_frame else -(-_FRAMES // pool),
      label_fraction=config.data.label_fraction)
  config.model.modalities = ('audio',)
  config.objective.modality_supervised = 0.0
  if 'smoke' in (item.strip() for item in rest.split(',')):
    return config
  # 535 utterances: a small model, a short schedule, selected on validation UA.
  config.model.hidden = 64
  config.model.fusion_hidden = 64
  config.model.num_layers = 1
  config.model.dropout = 0.3
  config.train.batch_size = 32
  config.train.unlabelled_batch_size = 32
  config.train.num_steps = 400
  config.train.warmup_steps = 40
  config.train.log_every = 50
  config.train.eval_every = 50
  config.train.checkpoint_every = 400
  config.eval.selection_metric = 'ua'
  return config
