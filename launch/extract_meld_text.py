r"""Extracts MELD's lexical features: launch/extract_text.py with its MELD preset.

  /tmp/textvenv/bin/python launch/extract_meld_text.py --meld_dir=../shared/data/meld \
      --output=/work/meld_features
  python launch/train.py --config=configs/meld.py:features_dir=/work/meld_features \
      --workdir=runs/meld

is `launch/extract_text.py --preset=meld --input_dir=DIR --output=...` (see its docstring for
the virtualenv of the `text` extra); every other argument is passed on.
"""

from __future__ import annotations

import pathlib
import sys
from typing import Sequence

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import extract_text  # pylint: disable=g-import-not-at-top,wrong-import-position


def main(argv: Sequence[str]) -> None:
  arguments = [a.replace('--meld_dir', '--input_dir', 1) if a.startswith('--meld_dir') else a
               for a in argv]
  extract_text.main(['--preset=meld', *arguments])


if __name__ == '__main__':
  main(sys.argv[1:])
