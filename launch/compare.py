"""Compares named variants of a config, each trained as a seed ensemble, in one table.

  python launch/compare.py --config=configs/synthetic.py --num_seeds=3 --workdir=runs/cmp \
    --variant='all labels:' --variant='10% labels:data.label_fraction=0.1'

A variant is `name:field=value;field=value`. Prints test WA/UA/F1 as mean ± std over seeds.

With `--row` flags the comparison is a grid: every row (itself `name:overrides`) crossed with
every variant, printed as one rows × variants table per metric. `--gap_closed=METHOD,BASELINE,
LOW,HIGH` (a variant, a variant, a row, a row) adds the share of BASELINE's gap between rows
LOW and HIGH that METHOD closes at LOW, e.g. `CMDM,supervised,10%,100%`.
"""

from absl import flags
from ml_collections import config_flags

from emorec.experiments import compare, launcher

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Base config file.')
_VARIANTS = flags.DEFINE_multi_string('variant', [], 'name:field=value;field=value')
_ROWS = flags.DEFINE_multi_string('row', [], 'Grid rows, name:field=value;field=value')
_GAP_CLOSED = flags.DEFINE_list('gap_closed', [], 'METHOD,BASELINE,LOW_ROW,HIGH_ROW')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 5, 'Seeds per variant (one ensemble each).')
_WORKDIR = flags.DEFINE_string('workdir', 'runs/compare', 'Where runs and results.json go.')


def main(argv):
  del argv
  variants = [compare.parse_variant(v) for v in _VARIANTS.value] or [('default', {})]
  rows = [compare.parse_variant(r) for r in _ROWS.value]
  columns = [name for name, _ in variants]
  row_names = [name for name, _ in rows]
  gap_closed = (compare.parse_gap_closed(_GAP_CLOSED.value, columns, row_names)
                if _GAP_CLOSED.value else None)
  cells = compare.grid(rows, variants) if rows else variants
  results = compare.run_variants(_CONFIG.value, cells, num_seeds=_NUM_SEEDS.value,
                                 workdir=_WORKDIR.value)
  if not rows:
    print(compare.table(results))
    return
  for title, key in compare.metric_columns(results):
    print(f'\n{title} (test, %, mean ± std over {_NUM_SEEDS.value} seeds)\n')
    print(compare.grid_table(results, row_names, columns, key))
  print(compare.ceiling_note(results).strip())
  if gap_closed:
    method, baseline, low, high = gap_closed
    for title, key in compare.metric_columns(results)[:2]:
      share = compare.gap_closed(results, method=method, baseline=baseline, low=low, high=high,
                                 key=key)
      print(f'{method} closes {100 * share:.0f}% of the {title} gap of {baseline} between '
            f'{low} and {high}.')


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  launcher.run(main)
