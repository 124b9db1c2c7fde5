"""Every release format, by corpus and reader name, and the interface a reader implements."""

from __future__ import annotations

import dataclasses
import functools
import pathlib
from typing import Any, Callable, Iterator, Mapping, Protocol

from emorec.data.corpus import MODALITIES
from emorec.data.real import conv_emotion, meld, mosei, mult
from emorec.data.real.checks import BadUtterance
from emorec.data.real.utterance import Schema, Utterance


class Release(Protocol):
  """A release format's reader, its dataclass fields being its options (file names, dims…).

  ``read`` maps each split the release has ('train', 'validation', 'test'; validation may be
  missing) to a lazy stream of its utterances, or of the problems found reading them; no array
  it reads may exceed ``max_array_bytes`` (None: ``emorec.data.limits.MAX_ARRAY_BYTES``).
  ``zero_neg_inf`` names the modalities whose -inf values the release is known to hold.
  """

  corpus: str
  zero_neg_inf: tuple[str, ...]

  def schema(self) -> Schema:
    ...

  def read(self, manual_dir: pathlib.Path, max_array_bytes: int | None = None
           ) -> Mapping[str, Iterator[Utterance | BadUtterance]]:
    ...


READERS: dict[tuple[str, str], Callable[..., Release]] = {
    ('iemocap', 'mult'): functools.partial(mult.MultRelease, corpus='iemocap',
                                           file=mult.FILES['iemocap']),
    ('iemocap', 'conv_emotion'): functools.partial(
        conv_emotion.ConvEmotionRelease, corpus='iemocap', file=conv_emotion.FILES['iemocap'],
        dims=conv_emotion.DIMS['iemocap']),
    ('meld', 'csv'): meld.MeldCsvRelease,
    ('meld', 'conv_emotion'): functools.partial(
        conv_emotion.ConvEmotionRelease, corpus='meld', file=conv_emotion.FILES['meld'],
        dims=conv_emotion.DIMS['meld']),
    ('mosei', 'csd'): mosei.MoseiCsdRelease,
    ('mosei', 'mult'): functools.partial(mult.MultRelease, corpus='mosei',
                                         file=mult.FILES['mosei']),
}


def _reader(corpus: str, reader: str) -> Callable[..., Release]:
  if (corpus, reader) not in READERS:
    known = ', '.join(f'{c}/{r}' for c, r in READERS)
    raise ValueError(f'No reader {reader!r} for corpus {corpus!r}; known: {known}.')
  return READERS[(corpus, reader)]


def default_options(corpus: str, reader: str) -> dict[str, Any]:
  """The options of a reader with their defaults (what ``data.release`` holds)."""
  release = _reader(corpus, reader)()
  values = {f.name: getattr(release, f.name) for f in dataclasses.fields(release)
            if f.name != 'corpus'}
  return {name: dict(v) if isinstance(v, Mapping) else v for name, v in values.items()}


def release_of(corpus: str, reader: str, options: Mapping[str, Any]) -> Release:
  """The reader of ``corpus`` in format ``reader`` with ``options`` (``data.release``)."""
  known = default_options(corpus, reader)
  unknown = sorted(set(options) - set(known))
  if unknown:
    raise ValueError(f'data.release has unknown option(s) {unknown} for the {corpus}/{reader} '
                     f'reader; known: {sorted(known)}.')
  release = _reader(corpus, reader)(**options)
  strange = sorted(set(release.schema().modality_dims) - set(MODALITIES))
  if strange:
    raise ValueError(f'data.release.dims names {strange}; the modalities are {MODALITIES}.')
  return release
