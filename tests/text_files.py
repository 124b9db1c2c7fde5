"""Writes small text fixtures (word-vector files), gzipped when the name ends in .gz."""

import gzip
import pathlib


def write_lines(path: pathlib.Path, lines: list[str]) -> pathlib.Path:
  """`lines`, one per line, in UTF-8 at `path` (gzip when it ends in .gz)."""
  text = ''.join(line + '\n' for line in lines)
  if path.suffix == '.gz':
    with gzip.open(path, 'wt', encoding='utf-8') as f:
      f.write(text)
  else:
    path.write_text(text, encoding='utf-8')
  return path
