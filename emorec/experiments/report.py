"""Result tables across seeds: summaries with confidence intervals and markdown formatting.

Every result is reported as mean ± standard deviation over several seeds::

  rows = [[name, format_mean_std(runs['wa']), format_mean_std(runs['ua'])]
          for name, runs in results.items()]
  print(markdown_table(['Method', 'WA', 'UA'], rows))
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np

# Two-sided 95% critical values of Student's t distribution, t_{0.975}(df), for df = 1..30.
_T_975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582,
    2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
    2.200985, 2.178813, 2.160369, 2.144787, 2.131450,
    2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
    2.079614, 2.073873, 2.068658, 2.063899, 2.059539,
    2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)

# The standard normal quantile z_{0.975}.
_Z_975 = 1.959963984540054


def t_critical_95(df: int) -> float:
  """Student's t quantile t_{0.975}(df), the multiplier of a two-sided 95% interval.

  Tabulated for df <= 30; beyond, the normal quantile corrected by the Cornish-Fisher
  expansion in 1/df (terms to 1/df^3, within 2e-6 of the exact value there).
  """
  if df < 1:
    raise ValueError(f'degrees of freedom must be at least 1, got {df}.')
  if df <= len(_T_975):
    return _T_975[df - 1]
  z = _Z_975
  g1 = (z**3 + z) / 4
  g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
  g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
  return z + g1 / df + g2 / df**2 + g3 / df**3


@dataclasses.dataclass(frozen=True)
class Summary:
  """Spread of one metric over runs.

  Attributes:
    mean: sample mean.
    std: sample standard deviation (ddof=1); 0 for a single run.
    n: number of runs.
    ci95: half-width of the 95% Student t confidence interval of the mean; NaN for a single
      run, which has no interval.
  """

  mean: float
  std: float
  n: int
  ci95: float


def summarize(values: Sequence[float] | np.ndarray) -> Summary:
  """Mean, standard deviation and 95% confidence half-width of a metric over runs."""
  values = np.asarray(values, dtype=np.float64).reshape(-1)
  n = int(values.size)
  if n == 0:
    raise ValueError('cannot summarize an empty sequence of values.')
  mean = float(values.mean())
  if n == 1:
    return Summary(mean=mean, std=0.0, n=1, ci95=math.nan)
  std = float(values.std(ddof=1))
  return Summary(mean=mean, std=std, n=n, ci95=t_critical_95(n - 1) * std / math.sqrt(n))


def format_mean_std(
    values: Sequence[float] | np.ndarray, scale: float = 100, digits: int = 1) -> str:
  """Formats runs as ``'mean ± std'``, e.g. ``'81.2 ± 0.4'`` for fractions scaled to percent."""
  summary = summarize(values)
  return f'{summary.mean * scale:.{digits}f} ± {summary.std * scale:.{digits}f}'


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
  """A GitHub markdown table whose columns are padded to a common width.

  Args:
    header: column titles.
    rows: cells, as strings, each row as long as ``header``.

  Returns:
    The table, one line per row (header and separator first), without a trailing newline.
  """
  for i, row in enumerate(rows):
    if len(row) != len(header):
      raise ValueError(f'row {i} has {len(row)} cells, the header has {len(header)}.')
  widths = [max([3, len(title)] + [len(row[j]) for row in rows])
            for j, title in enumerate(header)]

  def line(cells: Sequence[str]) -> str:
    return '| ' + ' | '.join(cell.ljust(w) for cell, w in zip(cells, widths)) + ' |'

  return '\n'.join([line(header), line(['-' * w for w in widths])] + [line(r) for r in rows])


# (metric, title) of the headline columns, for single-label and multi-label corpora.
_HEADLINE_METRICS = (('wa', 'WA'), ('ua', 'UA'), ('weighted_f1', 'weighted F1'),
                     ('macro_f1', 'macro F1'))
_MULTILABEL_HEADLINE_METRICS = (('wacc', 'WAcc'), ('wf1', 'weighted F1'), ('auc', 'AUC'))


def _percent(results: dict[str, float], key: str) -> str:
  """`81.2`, or `81.2 ± 0.4` when the run is a seed ensemble with a `key_std` entry."""
  text = f'{100 * results[key]:.1f}'
  if f'{key}_std' in results:
    text += f' ± {100 * results[key + "_std"]:.1f}'
  return text


def results_table(results: dict[str, float]) -> str:
  """One run's validation and test metrics (in percent) as a markdown table.

  Args:
    results: flat keys such as 'test/wa' or 'test/text/wa' (a modality's own head), with
      'test/wa_std' beside them for seed ensembles, plus 'bayes_accuracy' when the corpus
      knows its ceiling. Multi-label results ('test/wacc', …) show WAcc, F1 and AUC.
  """
  multi_label = 'test/wacc' in results or 'validation/wacc' in results
  headline = _MULTILABEL_HEADLINE_METRICS if multi_label else _HEADLINE_METRICS
  first = f'/{headline[0][0]}'
  heads = sorted({k.split('/')[1] for k in results if k.count('/') == 2 and k.endswith(first)})
  rows = []
  for split in ('validation', 'test'):
    for head in ('fused', *heads):
      prefix = f'{split}/' if head == 'fused' else f'{split}/{head}/'
      if f'{prefix}{headline[0][0]}' in results:
        rows.append([split, head] + [_percent(results, prefix + m) for m, _ in headline])
  table = markdown_table(['split', 'head', *(title for _, title in headline)], rows)
  if 'bayes_accuracy' in results:
    table += ('\n\nBayes ceiling (accuracy given the latent state): '
              f'{100 * results["bayes_accuracy"]:.1f}')
  return table
