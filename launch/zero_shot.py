"""Zero-shot and few-shot unseen emotions (MTEE), one table per held-out emotion:

  python launch/zero_shot.py --config=configs/transfer.py:multi_label --num_seeds=5 \
    --held_out=happy,sad,anger --workdir=runs/zero_shot

Rows: chance, MTEE zero-shot and few-shot, the plain classifier with the emotion held out, and
MTEE and the classifier trained on every emotion; columns: the held-out emotion's metrics and
their means over every emotion, as mean ± std over seeds (see emorec/experiments/zero_shot.py).
"""

import json
import os

from absl import flags
from ml_collections import config_flags

from emorec.data import loader
from emorec.experiments import launcher, zero_shot

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Base config file.')
_HELD_OUT = flags.DEFINE_list('held_out', None, 'Emotions to hold out, one at a time.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 5, 'Seeds per run (one ensemble each).')
_WORKDIR = flags.DEFINE_string('workdir', 'runs/zero_shot', 'Where runs and results.json go.')


def main(argv):
  del argv
  results = zero_shot.run(_CONFIG.value, _HELD_OUT.value, num_seeds=_NUM_SEEDS.value,
                          workdir=_WORKDIR.value)
  with open(os.path.join(_WORKDIR.value, 'results.json'), 'w') as f:
    json.dump(results, f, indent=1, sort_keys=True)
  print(zero_shot.tables(results, loader.load_corpus(_CONFIG.value.data)))


if __name__ == '__main__':
  flags.mark_flags_as_required(['config', 'held_out'])
  launcher.run(main)
