r"""Cross-corpus label transfer in one command: train on one corpus's labels, score another's.

Source corpus A (--config) trains an emotion-embedding run; the test split of target corpus B
(--target, a config spec whose data section is read) is then scored with B's label words, each
looked up in A's word vectors. With --held_out, each emotion of A in turn is kept out of
training and every emotion of A is scored (zero-shot), one table row per emotion.

MELD, each emotion held out (text features of launch/extract_text.py, DIR):

  python launch/transfer.py --num_seeds=5 --workdir=runs/meld_held_out \
    --config=configs/transfer.py:dataset=meld,features_dir=DIR,text=lexical_pooled \
    --config.model.encoder=meanpool --config.train.num_epochs=0 \
    --config.train.num_steps=600 --config.train.eval_every=150 \
    --config.train.checkpoint_every=600 \
    --held_out=neutral,surprise,fear,sadness,joy,disgust,anger

MELD emotions to MELD sentiment words (the same utterances, labels neutral/positive/negative):

  MELD=configs/transfer.py:dataset=meld,features_dir=DIR,text=lexical_pooled
  python launch/transfer.py --num_seeds=5 --workdir=runs/meld_to_sentiment \
    --config=$MELD --target=$MELD,protocol=sentiment --config.model.encoder=meanpool ...

Metrics: mean ± std over the seed replicas (emorec/experiments/label_transfer.py); results.json in --workdir.
"""

import os

from absl import app, flags
from ml_collections import config_flags

from emorec.evaluation import inference
from emorec.experiments import compare, config_args, label_transfer, launcher

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Source config (corpus A).')
_TARGET = flags.DEFINE_string('target', '', "Target config spec ('configs/x.py:args'): corpus B.")
_HELD_OUT = flags.DEFINE_list('held_out', [], 'Emotions of A to hold out, one at a time.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 5, 'Seed replicas per run (one ensemble).')
_WORKDIR = flags.DEFINE_string('workdir', 'runs/transfer', 'Where runs and results.json go.')


def main(argv):
  del argv
  config, workdir = _CONFIG.value, _WORKDIR.value
  if _HELD_OUT.value:
    results = label_transfer.held_out(config, _HELD_OUT.value, num_seeds=_NUM_SEEDS.value,
                                      workdir=workdir)
    print(label_transfer.held_out_table(results))
    return
  if not _TARGET.value:
    raise app.UsageError('give --target (corpus B) or --held_out (emotions of A).')
  target = config_args.config_from_spec(_TARGET.value)
  config = config_args.apply_overrides(config, {'num_seeds': str(_NUM_SEEDS.value)})
  result = label_transfer.transfer(config, target, os.path.join(workdir, 'run'))
  compare.save({'target': result.metrics}, os.path.join(workdir, 'results.json'))
  print(inference.metrics_table(result.metrics, result.labels, result.multi_label))


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  launcher.run(main)
