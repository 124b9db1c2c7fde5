r"""Predicts emotions with a trained run: one CSV row per utterance, and metrics when labelled.

Restores the validation-selected parameters of --workdir (pass the config and overrides it was
trained with) and scores a corpus: the run's own (--split, default test), another config's
(--data=SPEC, its data section), or utterance files plus their features from
launch/extract_text.py (--files, --features_dir, --columns, ... as configs/text.py reads them).
The labels scored are the run's, or --labels=word1,word2,...: an emotion-embedding run scores
any word or phrase its vectors have, never seen in training or not.

  python launch/predict.py --config=configs/transfer.py:dataset=text,files=train.csv,... \
    --workdir=runs/mine --files=new.csv --features_dir=/tmp/new_features \
    --labels=cheerful,furious,serene,terrified,lonely --output=predictions.csv

The CSV holds id, gold (when the utterances are labelled), predicted, and p_<label> for every
label (mean over the seed replicas); with gold labels named like the scored ones the metrics
table is printed and written to OUTPUT.metrics.json (see emorec/evaluation/inference.py).
"""

import json
import sys

from absl import flags
from ml_collections import config_flags

from emorec.data import loader, text_corpus
from emorec.evaluation import inference
from emorec.experiments import config_args, launcher

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Config the run was trained with.',
                                          lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'The trained run.')
_OUTPUT = flags.DEFINE_string('output', 'predictions.csv', 'The CSV written.')
_LABELS = flags.DEFINE_list('labels', None, 'Label words scored (default: the trained labels).')
_SPLIT = flags.DEFINE_string('split', 'test', 'The split scored.')
_DATA = flags.DEFINE_string('data', '', "A config spec ('configs/x.py:args') of the corpus.")
_FILES = flags.DEFINE_string('files', '', 'Utterance files, as configs/text.py files=...')
_FEATURES = flags.DEFINE_string('features_dir', '', 'Their features (launch/extract_text.py).')
_COLUMNS = flags.DEFINE_string('columns', '', 'Their columns, as configs/text.py columns=...')
_ID_TEMPLATE = flags.DEFINE_string('id_template', '', 'Their ids built from columns.')
_SEPARATOR = flags.DEFINE_string('label_separator', '', 'Separator of several gold labels.')
_FEATURE = flags.DEFINE_string('feature', 'pooled', 'pooled | tokens (as trained).')


def target_corpus(run: inference.Run):
  """The corpus the flags name (the run's own by default)."""
  if _FILES.value:
    fields = text_corpus.spec_fields(
        _FILES.value, columns=_COLUMNS.value, id_template=_ID_TEMPLATE.value,
        label_separator=_SEPARATOR.value, features_dir=_FEATURES.value, feature=_FEATURE.value)
    return text_corpus.build_corpus(text_corpus.spec_of(fields), name=_FILES.value,
                                    required_splits=(_SPLIT.value,))
  if _DATA.value:
    return loader.load_corpus(config_args.config_from_spec(_DATA.value).data)
  return run.experiment.corpus


def main(argv):
  del argv
  try:
    run = inference.restore_run(_CONFIG.value, _WORKDIR.value)
    scored = inference.predict(run, target_corpus(run), _SPLIT.value, _LABELS.value)
  except (ValueError, FileNotFoundError) as error:
    sys.exit(f'predict: {error}')
  threshold = _CONFIG.value.eval.get('threshold', 0.5)
  inference.write_csv(scored, _OUTPUT.value, threshold)
  print(f'Wrote {len(scored.ids)} predictions over {len(scored.labels)} labels to '
        f'{_OUTPUT.value}.')
  if scored.gold is None:
    return
  try:
    results = inference.label_metrics(scored, threshold)
  except ValueError as error:
    print(f'No metrics: {error}')
    return
  with open(f'{_OUTPUT.value}.metrics.json', 'w') as f:
    json.dump(results, f, indent=1, sort_keys=True)
  gold = [w for w in scored.labels if w in scored.gold_labels]
  print(inference.metrics_table(results, gold, scored.multi_label))


if __name__ == '__main__':
  flags.mark_flags_as_required(['config', 'workdir'])
  launcher.run(main)
