r"""Extracts acoustic features from a folder of WAV files (emorec.audio), for the audio corpora.

  python launch/extract_audio.py --audio_dir=../shared/data/emodb \
      --labels=../shared/data/emodb/labels.csv --output=/work/emodb_features --sample_rate=22050

writes {output}/{feature set}/{WAV path}.npz (format: docs/audio_features.md) for each of
--features (default: all of egemaps_lld, egemaps_functionals, compare_lld, compare_functionals,
logmel), over --workers processes, with a progress bar and the time left. Files already
extracted with the same settings from the same WAV bytes are skipped, so an interrupted run
resumes. --on_bad_audio=skip leaves bad WAV files out, lists them in {output}/extraction.json
and prints their count by reason; 'error' (default) stops at the first one. Needs the `audio`
extra (`pip install -e '.[audio]'`: openSMILE).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from emorec.audio import extract, features, labels


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--audio_dir', required=True, help='The folder the WAV paths are in.')
  parser.add_argument('--labels', default='',
                      help='A labels CSV whose --file_column lists the WAV files '
                           '(default: every .wav under --audio_dir).')
  parser.add_argument('--file_column', default='file', help='The labels CSV column of paths.')
  parser.add_argument('--output', required=True, help='Where the features go.')
  parser.add_argument('--features', default=','.join(features.FEATURE_SETS),
                      help=f'Comma-separated feature sets, of: {", ".join(features.FEATURE_SETS)}.')
  parser.add_argument('--sample_rate', type=int, default=0,
                      help='The sample rate every file must have, in Hz (0: any).')
  parser.add_argument('--workers', type=int, default=os.cpu_count() or 1,
                      help='Processes extracting in parallel.')
  parser.add_argument('--on_bad_audio', choices=extract.POLICIES, default='error',
                      help='error: stop at the first bad file; skip: leave it out, counted.')
  return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
  args = parse_args(argv)
  sets = [name.strip() for name in args.features.split(',') if name.strip()]
  try:
    sources = (labels.read_labels(args.labels, labels.Columns(args.file_column, '', '')).files
               if args.labels else extract.list_wavs(args.audio_dir))
    summary = extract.extract_folder(args.audio_dir, list(sources), args.output, sets,
                                     sample_rate=args.sample_rate or None, workers=args.workers,
                                     on_bad_audio=args.on_bad_audio)
  except ValueError as error:
    sys.exit(f'extract_audio: {error}')
  print(f'{summary.files} files, {len(sets)} feature sets: {summary.written} feature files '
        f'written, {summary.already_done} already done, {summary.num_bad} bad files skipped '
        f'{ {reason: len(paths) for reason, paths in summary.bad.items()} }; '
        f'{summary.seconds:.1f} s with {args.workers} workers.')


if __name__ == '__main__':
  main()
