"""Compares named variants of a config, each trained as a seed ensemble, in one table.

  python launch/compare.py --config=configs/synthetic.py --num_seeds=3 --workdir=runs/cmp \
    --variant='all labels:' --variant='10% labels:data.label_fraction=0.1'

A variant is `name:field=value;field=value`. Prints test WA/UA/F1 as mean ± std over seeds.
"""

import os

from absl import app, flags
from ml_collections import config_flags

from emorec import compare

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Base config file.')
_VARIANTS = flags.DEFINE_multi_string('variant', [], 'name:field=value;field=value')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 5, 'Seeds per variant (one ensemble each).')
_WORKDIR = flags.DEFINE_string('workdir', 'runs/compare', 'Where runs and results.json go.')


def main(argv):
  del argv
  variants = [compare.parse_variant(v) for v in _VARIANTS.value] or [('default', {})]
  results = compare.run_variants(_CONFIG.value, variants, num_seeds=_NUM_SEEDS.value,
                                 workdir=_WORKDIR.value)
  os.makedirs(_WORKDIR.value, exist_ok=True)
  compare.save(results, os.path.join(_WORKDIR.value, 'results.json'))
  print(compare.table(results))


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  app.run(main)
