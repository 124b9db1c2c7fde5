"""Modality pairs: the 'a-b,c-d' specs of the configs, shared by models and objective terms."""

from __future__ import annotations

import itertools
from typing import Sequence

Pair = tuple[str, str]


def parse_pairs(spec: str, modalities: Sequence[str], *, field: str) -> tuple[Pair, ...]:
  """The modality pairs ``spec`` names: 'all' (every unordered pair) or 'a-b,c-d'.

  ``field`` is the config field ``spec`` comes from, named in errors.
  """
  if spec == 'all':
    return tuple(itertools.combinations(modalities, 2))
  pairs = []
  for item in filter(None, spec.split(',')):
    pair = tuple(name.strip() for name in item.split('-'))
    if len(pair) != 2 or pair[0] == pair[1] or not set(pair) <= set(modalities):
      raise ValueError(f"{field} entry {item!r} is not two different modalities 'a-b' of "
                       f"model.modalities ({', '.join(modalities)})")
    pairs.append(pair)
  return tuple(pairs)


def pair_name(pair: Pair) -> str:
  """'a-b': the key of a pair's scores, as the config spells it."""
  return '-'.join(pair)
