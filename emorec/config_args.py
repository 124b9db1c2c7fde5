"""Config arguments: `get_config(arg)` strings (`"smoke,encoder=gru"`) and dotted overrides."""

from __future__ import annotations

import ast
import copy
import pathlib
import runpy
from typing import Any, Callable, Mapping

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


def sibling_config(config_file: str,
                   name: str) -> Callable[[str | None], ml_collections.ConfigDict]:
  """`get_config` of the config file `name`.py beside `config_file`.

  Config files are loaded by path (`--config=configs/x.py`), not imported as a package, so a
  config extending another loads it this way: `sibling_config(__file__, 'synthetic')(arg)`.
  """
  path = pathlib.Path(config_file).with_name(f'{name}.py')
  return runpy.run_path(str(path))['get_config']


def config_from_spec(spec: str, root: str | pathlib.Path = '.') -> ml_collections.ConfigDict:
  """The config a `--config=` spec names ('configs/cmdm.py:ablation=supervised'), its path
  relative to `root`."""
  path, _, arg = spec.partition(':')
  return runpy.run_path(str(pathlib.Path(root) / path))['get_config'](arg or None)


def apply_overrides(config: ml_collections.ConfigDict,
                    overrides: dict[str, str]) -> ml_collections.ConfigDict:
  """A copy of `config` with dotted fields set from strings (`{'train.num_steps': '500'}`).

  Each value is read as a Python literal when it parses as one (numbers, tuples, None,
  booleans), else kept as a string; unknown fields are errors naming the field.
  """
  updated = copy.deepcopy(config)
  for dotted, text in overrides.items():
    node = updated
    *parents, leaf = dotted.split('.')
    for parent in parents:
      if parent not in node:
        raise ValueError(f'Unknown config field {dotted!r}: no {parent!r}.')
      node = node[parent]
    if leaf not in node:
      raise ValueError(f'Unknown config field {dotted!r}.')
    node[leaf] = _literal(text)
  return updated


def _literal(text: str) -> Any:
  try:
    return ast.literal_eval(text)
  except (ValueError, SyntaxError):
    return text


def split_arg(arg: str | None, own: Mapping[str, Any]) -> tuple[str, str]:
  """(the arguments named in ``own``, the others for a base config) of an argument string."""
  items = [item for item in (arg or '').split(',') if item.strip()]
  mine = [item for item in items if item.partition('=')[0].strip() in own]
  return ','.join(mine), ','.join(item for item in items if item not in mine)
