"""Side-by-side comparisons: named config variants, each a seed ensemble, as one results table."""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Mapping, Sequence

import ml_collections

from emorec.experiments import config_args, report
from emorec.probes import run
from emorec.training import train

Variant = tuple[str, dict[str, str]]
# The override naming a linear probe to fit instead of a network to train.
PROBE = 'probe'
# (title, metric key) of the table's columns, for single-label and multi-label corpora.
Columns = Sequence[tuple[str, str]]
_COLUMNS = (('WA', 'test/wa'), ('UA', 'test/ua'), ('weighted F1', 'test/weighted_f1'),
            ('macro F1', 'test/macro_f1'))
_MULTILABEL_COLUMNS = (('WAcc', 'test/wacc'), ('weighted F1', 'test/wf1'), ('AUC', 'test/auc'))


def parse_variant(text: str) -> Variant:
  """`'name:field=value;field=value'` -> (name, {field: value}); `'name:'` has no overrides."""
  name, _, spec = text.partition(':')
  overrides = {}
  for item in filter(None, spec.split(';')):
    field, sep, value = item.partition('=')
    if not sep:
      raise ValueError(f'Variant {name!r}: override {item!r} is not field=value.')
    overrides[field.strip()] = value.strip()
  return name.strip(), overrides


def grid(rows: Sequence[Variant], columns: Sequence[Variant]) -> list[Variant]:
  """Every (row, column) pair as one variant named `cell_name(row, column)`.

  The column's overrides apply after the row's, so a column may refine a row's field.
  """
  return [(cell_name(row, column), {**row_overrides, **column_overrides})
          for row, row_overrides in rows for column, column_overrides in columns]


def cell_name(row: str, column: str) -> str:
  return f'{row} · {column}'


def run_variants(config: ml_collections.ConfigDict, variants: Sequence[Variant], *,
                 num_seeds: int, workdir: str) -> dict[str, dict[str, float]]:
  """Trains every variant as a `num_seeds` ensemble; returns each one's summarised metrics.

  Each variant runs in its own `workdir/run_dir_name(...)` (rerunning resumes it) and is merged
  into `workdir/results.json` after it ends, so a long comparison can be watched and restarted,
  and later comparisons in the same workdir add their cells beside the earlier ones. A run
  stopped by SIGTERM (checkpointed, see `train.train_and_evaluate`) ends the comparison there,
  its variant and those after it left out of the results. A variant
  whose overrides name a `probe` (`'CCA probe:probe=cca'`, see `emorec.probes.run.PROBES`)
  fits that probe on the variant's config instead of training (deterministic: no seed spread).
  """
  path = os.path.join(workdir, 'results.json')
  saved = load(path) if os.path.exists(path) else {}
  results = {}
  for name, overrides in variants:
    probe = overrides.get(PROBE)
    fields = {k: v for k, v in overrides.items() if k != PROBE}
    variant = config_args.apply_overrides(config, {**fields, 'num_seeds': str(num_seeds)})
    if probe:
      results[name] = run.run_probe(variant, probe)
    else:
      run_dir = os.path.join(workdir, run_dir_name(name, overrides, num_seeds))
      trained = train.train_and_evaluate(variant, run_dir, quiet=True)
      if not trained.completed:  # stopped by SIGTERM, checkpointed: rerunning resumes it
        break
      results[name] = trained.metrics
    saved[name] = results[name]
    save(saved, path)
  return results


def run_dir_name(name: str, overrides: Mapping[str, str], num_seeds: int) -> str:
  """The variant's name made filesystem-safe, then a digest of its overrides and seed count:
  a variant whose name or fields change trains anew instead of resuming another's run."""
  slug = re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-').lower()[:48] or 'variant'
  fields = json.dumps({**overrides, 'num_seeds': num_seeds}, sort_keys=True)
  return f'{slug}-{hashlib.sha1(fields.encode()).hexdigest()[:8]}'


def table(results: Mapping[str, Mapping[str, float]], columns: Columns | None = None) -> str:
  """Test metrics in percent as mean ± std over seeds, one row per variant.

  `columns` default to WA, UA and F1, or to the multi-label WAcc, F1 and AUC when the
  results have them.
  """
  columns = columns or metric_columns(results)
  rows = []
  for name, metrics in results.items():
    cells = [mean_std(metrics, key) for _, key in columns]
    rows.append([name, *cells])
  return report.markdown_table(['variant', *(title for title, _ in columns)], rows) + (
      ceiling_note(results))


def ceiling_note(results: Mapping[str, Mapping[str, float]]) -> str:
  """'\n\nBayes ceiling (WA): …' when all results share one ceiling, else ''."""
  ceilings = {m['bayes_accuracy'] for m in results.values() if 'bayes_accuracy' in m}
  return f'\n\nBayes ceiling (WA): {100 * ceilings.pop():.1f}' if len(ceilings) == 1 else ''


def metric_columns(results: Mapping[str, Mapping[str, float]]) -> Columns:
  """WA, UA and F1 columns, or the multi-label WAcc, F1 and AUC when the results have them."""
  multi_label = any('test/wacc' in metrics for metrics in results.values())
  return _MULTILABEL_COLUMNS if multi_label else _COLUMNS


def grid_table(results: Mapping[str, Mapping[str, float]], rows: Sequence[str],
               columns: Sequence[str], key: str) -> str:
  """One metric of a `grid` run as a table: rows × columns of mean ± std in percent."""
  cells = [[row, *(mean_std(results[cell_name(row, column)], key) for column in columns)]
           for row in rows]
  return report.markdown_table(['', *columns], cells)


def gap_closed(results: Mapping[str, Mapping[str, float]], *, method: str, baseline: str,
               low: str, high: str, key: str = 'test/wa') -> float:
  """Share of the baseline's gap between grid rows `low` and `high` that `method` closes at `low`.

  (method@low - baseline@low) / (baseline@high - baseline@low): 0 is no gain, 1 reaches the
  baseline trained with the `high` row's setting (e.g. all labels), negative is a loss.
  """
  base_low = results[cell_name(low, baseline)][key]
  gap = results[cell_name(high, baseline)][key] - base_low
  if gap == 0:
    raise ValueError(f'The baseline {baseline!r} scores the same {key} at {low!r} and {high!r}.')
  return (results[cell_name(low, method)][key] - base_low) / gap


def parse_gap_closed(items: Sequence[str], variants: Sequence[str],
                     rows: Sequence[str]) -> tuple[str, str, str, str]:
  """(method, baseline, low row, high row) of `--gap_closed=METHOD,BASELINE,LOW,HIGH`."""
  if len(items) != 4:
    raise ValueError(f'--gap_closed takes METHOD,BASELINE,LOW_ROW,HIGH_ROW, got {list(items)}.')
  method, baseline, low, high = (item.strip() for item in items)
  for role, name, known in (('METHOD', method, variants), ('BASELINE', baseline, variants),
                            ('LOW_ROW', low, rows), ('HIGH_ROW', high, rows)):
    if name not in known:
      raise ValueError(f'--gap_closed {role} {name!r} is none of {list(known)}.')
  return method, baseline, low, high


def mean_std(metrics: Mapping[str, float], key: str) -> str:
  """`metrics[key]` in percent, ± its seeds' standard deviation (`key_std`, 0 if absent)."""
  std = metrics.get(f'{key}_std', 0.0)
  return f'{100 * metrics[key]:.1f} ± {100 * std:.1f}'


def save(results: Mapping[str, Mapping[str, float]], path: str) -> None:
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  with open(path, 'w') as f:
    json.dump(results, f, indent=1, sort_keys=True)


def load(path: str) -> dict[str, dict[str, float]]:
  """The results a `save` wrote: {variant name: metrics}."""
  with open(path) as f:
    results = json.load(f)
  if not isinstance(results, dict):
    raise ValueError(f'{path}: expected a JSON object of variant results, got '
                     f'{type(results).__name__}.')
  return results
