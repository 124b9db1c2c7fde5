"""Name lookups of every extension point (encoders, fusions, terms, corpora, ...).

A registry is a plain mapping from the name a config gives to the thing it names; `lookup`
is the one way to read it, so that every misspelt name gets the same error: the kind, the
name, the closest valid names and every choice.
"""

from __future__ import annotations

import difflib
from typing import Collection, Mapping, TypeVar

_Value = TypeVar('_Value')


def unknown_name_error(kind: str, name: object, choices: Collection[str]) -> ValueError:
  """`unknown KIND 'NAME'; did you mean ...? choose one of: ...` as a ValueError."""
  names = sorted(str(c) for c in choices)
  close = difflib.get_close_matches(str(name), names, n=3)
  hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ''
  return ValueError(f"unknown {kind} {name!r}{hint}; choose one of: {', '.join(names)}")


def lookup(kind: str, name: str, registry: Mapping[str, _Value]) -> _Value:
  """``registry[name]``, or a ValueError naming the closest choices."""
  if name not in registry:
    raise unknown_name_error(kind, name, registry)
  return registry[name]


def check_choice(kind: str, name: str, choices: Collection[str]) -> None:
  """A ValueError naming the closest choices unless ``name`` is one of ``choices``."""
  if name not in choices:
    raise unknown_name_error(kind, name, choices)
