"""Parsing the argument string of `get_config(arg)`: `"smoke,encoder=gru,label_fraction=0.1"`."""

from __future__ import annotations

from typing import Any

import ml_collections


def parse_arg(arg: str | None, **defaults: Any) -> ml_collections.ConfigDict:
  """Overlays `key=value` pairs and bare flags (`smoke` means smoke=True) on typed defaults.

  Values take the type of their default; unknown keys are errors naming the known ones.
  """
  parsed = ml_collections.ConfigDict(defaults)
  for item in filter(None, (arg or '').split(',')):
    key, _, value = item.partition('=')
    key = key.strip()
    if key not in defaults:
      raise ValueError(f'Unknown config argument {key!r}; known: {sorted(defaults)}.')
    default = defaults[key]
    if not value:
      if not isinstance(default, bool):
        raise ValueError(f'Config argument {key!r} needs a value: {key}=...')
      parsed[key] = True
    elif isinstance(default, bool):
      parsed[key] = value.strip().lower() in ('1', 'true', 'yes')
    else:
      parsed[key] = type(default)(value.strip())
  return parsed
