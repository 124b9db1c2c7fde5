"""Config arguments, dotted overrides and comparison variants."""

import pathlib

import pytest

from configs import synthetic as synthetic_config
from emorec.experiments import compare, config_args


def test_parse_arg_types_and_flags():
  args = config_args.parse_arg('smoke,encoder=gru,label_fraction=0.1', smoke=False,
                               encoder='meanpool', label_fraction=1.0)
  assert args.smoke is True and args.encoder == 'gru' and args.label_fraction == 0.1
  with pytest.raises(ValueError, match="Unknown config argument 'colour'"):
    config_args.parse_arg('colour=red', smoke=False)


def test_apply_overrides_reads_literals_and_leaves_the_original():
  config = synthetic_config.get_config('smoke')
  updated = config_args.apply_overrides(
      config, {'train.num_steps': '9', 'model.encoder': 'gru', 'data.seed': '3'})
  assert updated.train.num_steps == 9 and updated.model.encoder == 'gru'
  assert updated.data.seed == 3 and config.data.seed is None and config.train.num_steps == 6
  with pytest.raises(ValueError, match="unknown config field 'train.nope'"):
    config_args.apply_overrides(config, {'train.nope': '1'})


def test_parse_variant():
  assert compare.parse_variant('10% labels:data.label_fraction=0.1;seed=2') == (
      '10% labels', {'data.label_fraction': '0.1', 'seed': '2'})
  assert compare.parse_variant('baseline:') == ('baseline', {})
  with pytest.raises(ValueError, match='is not field=value'):
    compare.parse_variant('bad:seed')


def test_table_shows_mean_and_std():
  results = {'a': {'test/wa': 0.5, 'test/wa_std': 0.01, 'test/ua': 0.4, 'test/ua_std': 0.02,
                   'test/weighted_f1': 0.3, 'test/weighted_f1_std': 0.0,
                   'test/macro_f1': 0.2, 'test/macro_f1_std': 0.0, 'bayes_accuracy': 0.8}}
  text = compare.table(results)
  assert '| a       | 50.0 ± 1.0 | 40.0 ± 2.0 |' in text and 'Bayes ceiling (WA): 80.0' in text


def test_grid_crosses_rows_with_variants_column_last():
  rows = [('10%', {'data.label_fraction': '0.1'}), ('all', {'data.label_fraction': '1.0'})]
  columns = [('sup', {'objective.mmd': '0'}), ('all-mmd', {'data.label_fraction': '0.5'})]
  cells = compare.grid(rows, columns)
  assert [name for name, _ in cells] == ['10% · sup', '10% · all-mmd', 'all · sup',
                                         'all · all-mmd']
  assert cells[0][1] == {'data.label_fraction': '0.1', 'objective.mmd': '0'}
  assert cells[3][1] == {'data.label_fraction': '0.5'}


def test_grid_table_and_gap_closed():
  wa = {('low', 'base'): 0.60, ('low', 'new'): 0.65, ('high', 'base'): 0.80,
        ('high', 'new'): 0.81}
  results = {compare.cell_name(row, column): {'test/wa': value, 'test/wa_std': 0.01}
             for (row, column), value in wa.items()}
  text = compare.grid_table(results, ['low', 'high'], ['base', 'new'], 'test/wa')
  assert '| low  | 60.0 ± 1.0 | 65.0 ± 1.0 |' in text
  share = compare.gap_closed(results, method='new', baseline='base', low='low', high='high')
  assert share == pytest.approx(0.25)
  results[compare.cell_name('high', 'base')]['test/wa'] = 0.60
  with pytest.raises(ValueError, match='scores the same'):
    compare.gap_closed(results, method='new', baseline='base', low='low', high='high')


def test_config_from_spec_reads_the_file_and_its_argument():
  root = pathlib.Path(__file__).resolve().parents[1]
  config = config_args.config_from_spec('configs/cmdm.py:ablation=supervised,smoke', root)
  assert config.objective.mmd == 0 and config.train.num_steps == 6
  assert config_args.config_from_spec('configs/synthetic.py', root).train.num_steps == 3000


def test_gap_closed_arguments_are_checked_before_training():
  assert compare.parse_gap_closed(['CMDM', 'sup', '10%', '100%'], ['sup', 'CMDM'],
                                  ['10%', '100%']) == ('CMDM', 'sup', '10%', '100%')
  with pytest.raises(ValueError, match='takes METHOD,BASELINE,LOW_ROW,HIGH_ROW'):
    compare.parse_gap_closed(['CMDM', 'sup', '10%'], ['sup', 'CMDM'], ['10%', '100%'])
  with pytest.raises(ValueError, match="HIGH_ROW 'all' is none of"):
    compare.parse_gap_closed(['CMDM', 'sup', '10%', 'all'], ['sup', 'CMDM'], ['10%', '100%'])
