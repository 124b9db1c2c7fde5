"""Side-by-side comparisons: named config variants, each a seed ensemble, as one results table."""

from __future__ import annotations

import json
import os
from typing import Mapping, Sequence

import ml_collections

from emorec import config_args, report, train

Variant = tuple[str, dict[str, str]]
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


def run_variants(config: ml_collections.ConfigDict, variants: Sequence[Variant], *,
                 num_seeds: int, workdir: str) -> dict[str, dict[str, float]]:
  """Trains every variant as a `num_seeds` ensemble; returns each one's summarised metrics."""
  results = {}
  for index, (name, overrides) in enumerate(variants):
    variant = config_args.apply_overrides(config, {**overrides, 'num_seeds': str(num_seeds)})
    run_dir = os.path.join(workdir, f'{index:02d}')
    results[name] = train.train_and_evaluate(variant, run_dir, quiet=True).metrics
  return results


def table(results: Mapping[str, Mapping[str, float]], columns: Columns | None = None) -> str:
  """Test metrics in percent as mean ± std over seeds, one row per variant.

  `columns` default to WA, UA and F1, or to the multi-label WAcc, F1 and AUC when the
  results have them.
  """
  if columns is None:
    multi_label = any('test/wacc' in metrics for metrics in results.values())
    columns = _MULTILABEL_COLUMNS if multi_label else _COLUMNS
  rows = []
  for name, metrics in results.items():
    cells = [mean_std(metrics, key) for _, key in columns]
    rows.append([name, *cells])
  text = report.markdown_table(['variant', *(title for title, _ in columns)], rows)
  ceilings = {m['bayes_accuracy'] for m in results.values() if 'bayes_accuracy' in m}
  if len(ceilings) == 1:
    text += f'\n\nBayes ceiling (WA): {100 * ceilings.pop():.1f}'
  return text


def mean_std(metrics: Mapping[str, float], key: str) -> str:
  """`metrics[key]` in percent, ± its seeds' standard deviation (`key_std`, 0 if absent)."""
  std = metrics.get(f'{key}_std', 0.0)
  return f'{100 * metrics[key]:.1f} ± {100 * std:.1f}'


def save(results: Mapping[str, Mapping[str, float]], path: str) -> None:
  with open(path, 'w') as f:
    json.dump(results, f, indent=1, sort_keys=True)
