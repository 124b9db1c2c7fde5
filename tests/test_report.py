"""Summaries and tables of results over seeds."""

import math

import pytest

from emorec.experiments import report


@pytest.mark.parametrize('df, expected', [
    (1, 12.7062),
    (2, 4.3027),
    (4, 2.7764),
    (10, 2.2281),
    (30, 2.0423),
    (31, 2.0395),
    (40, 2.0211),
    (60, 2.0003),
    (120, 1.9799),
    (10**6, 1.9600),
])
def test_t_critical_95_matches_tables(df, expected):
  assert report.t_critical_95(df) == pytest.approx(expected, abs=1e-4)


def test_t_critical_95_decreases_across_the_table_edge():
  values = [report.t_critical_95(df) for df in range(25, 40)]
  assert all(a > b for a, b in zip(values, values[1:]))


def test_t_critical_95_rejects_zero_df():
  with pytest.raises(ValueError, match='at least 1'):
    report.t_critical_95(0)


def test_summarize_three_runs():
  summary = report.summarize([0.80, 0.82, 0.84])
  assert summary.n == 3
  assert summary.mean == pytest.approx(0.82)
  # Deviations -0.02, 0, 0.02: variance 0.0008 / 2, std 0.02.
  assert summary.std == pytest.approx(0.02)
  assert summary.ci95 == pytest.approx(4.302653 * 0.02 / math.sqrt(3))


def test_summarize_single_run_has_no_interval():
  summary = report.summarize([0.75])
  assert (summary.mean, summary.std, summary.n) == (0.75, 0.0, 1)
  assert math.isnan(summary.ci95)


def test_summarize_rejects_empty():
  with pytest.raises(ValueError, match='empty'):
    report.summarize([])


def test_format_mean_std():
  assert report.format_mean_std([0.810, 0.814, 0.818]) == '81.4 ± 0.4'
  assert report.format_mean_std([0.5]) == '50.0 ± 0.0'
  assert report.format_mean_std([1.0, 2.0, 3.0], scale=1, digits=2) == '2.00 ± 1.00'


def test_markdown_table_aligns_columns():
  table = report.markdown_table(
      ['Method', 'WA', 'UA'],
      [['baseline', '70.1 ± 0.5', '71.0 ± 0.8'], ['CR', '71.5 ± 0.3', '72.4 ± 0.6']])
  assert table == '\n'.join([
      '| Method   | WA         | UA         |',
      '| -------- | ---------- | ---------- |',
      '| baseline | 70.1 ± 0.5 | 71.0 ± 0.8 |',
      '| CR       | 71.5 ± 0.3 | 72.4 ± 0.6 |',
  ])


def test_markdown_table_pads_short_columns_to_three_dashes():
  assert report.markdown_table(['a'], [['x']]) == '| a   |\n| --- |\n| x   |'


def test_markdown_table_rejects_ragged_rows():
  with pytest.raises(ValueError, match='row 1 has 1 cells'):
    report.markdown_table(['a', 'b'], [['1', '2'], ['3']])
