"""Release text files (CSV, JSON) as UTF-8, with an error that says how to convert them.

The releases' text files are UTF-8 (a UTF-8 byte-order mark is accepted). A file saved as
UTF-16, Latin-1 or Windows-1252 (spreadsheet programs do) is refused with the line of the
first offending byte, the encoding expected, and the ``iconv`` command that converts it.
"""

from __future__ import annotations

import codecs
import pathlib


def _convert(path: pathlib.Path, encoding: str) -> str:
  return (f"iconv -f {encoding} -t UTF-8 '{path}' > '{path}.utf8' && "
          f"mv '{path}.utf8' '{path}'")


def read_utf8(path: pathlib.Path) -> str:
  """The text of ``path``, which must be UTF-8."""
  data = path.read_bytes()
  if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
    raise ValueError(f'{path}: starts with a UTF-16 byte-order mark, expected UTF-8 text; '
                     f'convert it with: {_convert(path, "UTF-16")}')
  nul = data.find(b'\x00')
  if nul >= 0:
    line = data.count(b'\n', 0, nul) + 1
    raise ValueError(f'{path}, line {line}: holds NUL bytes (UTF-16 without a byte-order mark, '
                     f'or binary data), expected UTF-8 text; if it is UTF-16, convert it with: '
                     f'{_convert(path, "UTF-16LE")}')
  try:
    return data.decode('utf-8-sig')
  except UnicodeDecodeError as error:
    line = data.count(b'\n', 0, error.start) + 1
    raise ValueError(
        f'{path}, line {line}: byte {data[error.start:error.start + 1]!r} (offset '
        f'{error.start}) is not UTF-8, expected UTF-8 text; if the file is Latin-1 or '
        f'Windows-1252, convert it with: {_convert(path, "WINDOWS-1252")}') from None
