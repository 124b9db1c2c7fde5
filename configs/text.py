r"""Any text corpus: utterance files (CSV, TSV, JSONL) and the features extracted from them.

`--config=configs/text.py:ARG`, ARG a comma-separated list of:
  files=SPEC          one file of every split (PATH; its split column decides) or one file
                      per split, joined by '+': train=a.csv+validation=b.csv+test=c.csv
  preset=NAME         meld: the MELD CSVs of input_dir (files, columns, ids and labels)
  input_dir=DIR       the preset's directory (default: ../shared/data/meld beside the repo)
  features_dir=DIR    the output of launch/extract_text.py for these files
  columns=SPEC        FIELD=COLUMN joined by '+' (fields: text, label, speaker, dialogue, id,
                      split; default: each field's own name), e.g. text=utterance+label=emotion
  id_template=T       ids built from columns, e.g. {Dialogue_ID}_{Utterance_ID}
  labels=SPEC         the label set, joined by '+' (default: every label of the files)
  label_separator=S   several labels per row separated by S (multi-label)
  feature=NAME        pooled (the sentence embedding, one frame) | tokens (token embeddings)
and any argument of configs/synthetic.py (smoke, encoder=NAME, label_fraction=F). The reader
is emorec/data/text_corpus.py. configs/transfer.py:dataset=text,... gives the MTEE head.

  /tmp/textvenv/bin/python launch/extract_text.py --files=utts.csv --output=/tmp/utts_features
  python launch/train.py --config=configs/text.py:files=utts.csv,features_dir=/tmp/utts_features \
      --workdir=runs/utts
"""

import pathlib

import ml_collections

from emorec.data import text_corpus
from emorec.data.labelled_share import add_labelled_share
from emorec.experiments.config_args import parse_arg, sibling_config, split_arg

_DEFAULT_INPUT_DIR = str(pathlib.Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'meld')
_OWN_ARGS = {'files': '', 'preset': '', 'input_dir': _DEFAULT_INPUT_DIR, 'features_dir': '',
             'columns': '', 'id_template': '', 'labels': '', 'label_separator': '',
             'feature': 'pooled'}


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  own, rest = split_arg(arg, _OWN_ARGS)
  args = parse_arg(own, **_OWN_ARGS)
  config = sibling_config(__file__, 'synthetic')(rest)
  data = ml_collections.ConfigDict()
  data.name = 'text'
  # The files, columns, labels and features (emorec/data/text_corpus.py's TextSpec).
  data.text = text_corpus.spec_fields(
      args.files, preset_name=args.preset, input_dir=args.input_dir, columns=args.columns,
      labels=args.labels, id_template=args.id_template, label_separator=args.label_separator,
      features_dir=args.features_dir, feature=args.feature)
  add_labelled_share(data, config.data.label_fraction)
  # Frames per utterance after truncation/padding: 1 sentence embedding, or up to 50 tokens.
  data.max_len = 1 if args.feature == 'pooled' else 50
  config.data = data
  config.model.modalities = ('text',)
  if args.label_separator:
    config.eval.selection_metric = 'wacc'
    # Probability above which a label is predicted present.
    config.eval.threshold = 0.5
  return config
