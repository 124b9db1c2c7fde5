"""Config arguments: `get_config(arg)` strings (`"smoke,encoder=gru"`) and dotted overrides."""

from __future__ import annotations

import ast
import copy
import difflib
import pathlib
import runpy
from typing import Any, Callable, Mapping

import ml_collections

from emorec.registry import check_choice


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


def dataset_names(config_dir: str | pathlib.Path) -> tuple[str, ...]:
  """The dataset configs in ``config_dir``: every config file but the base and the method
  configs (those that extend a dataset config through ``dataset_config``)."""
  return tuple(sorted(
      path.stem for path in pathlib.Path(config_dir).glob('*.py')
      if path.stem != 'base' and 'dataset_config(' not in path.read_text()))


def dataset_config(config_file: str,
                   name: str) -> Callable[[str | None], ml_collections.ConfigDict]:
  """`get_config` of the dataset config `name`.py beside the method config `config_file`."""
  check_choice('dataset', name, dataset_names(pathlib.Path(config_file).parent))
  return sibling_config(config_file, name)


def config_from_spec(spec: str, root: str | pathlib.Path = '.') -> ml_collections.ConfigDict:
  """The config a `--config=` spec names ('configs/cmdm.py:ablation=supervised'), its path
  relative to `root`."""
  path, _, arg = spec.partition(':')
  return runpy.run_path(str(pathlib.Path(root) / path))['get_config'](arg or None)


def apply_overrides(config: ml_collections.ConfigDict,
                    overrides: Mapping[str, str]) -> ml_collections.ConfigDict:
  """A copy of `config` with dotted fields set from strings (`{'train.num_steps': '500'}`).

  Each value is converted to the field's type (`parse_override`); an unknown field or a value
  of the wrong type is a ValueError naming the field and what it expects.
  """
  updated = copy.deepcopy(config)
  for dotted, text in overrides.items():
    section, leaf = field_section(updated, dotted)
    section[leaf] = parse_override(section, leaf, text, dotted=dotted)
  return updated


def field_names(config: ml_collections.ConfigDict, prefix: str = '') -> list[str]:
  """Every dotted field of `config` ('train.num_steps', ...), sections included."""
  names = []
  for key, value in config.items():
    names.append(prefix + key)
    if isinstance(value, ml_collections.ConfigDict):
      names.extend(field_names(value, f'{prefix}{key}.'))
  return names


def field_section(config: ml_collections.ConfigDict,
                  dotted: str) -> tuple[ml_collections.ConfigDict, str]:
  """(the section holding field `dotted`, its last name), or a one-line ValueError naming
  the closest fields and those of the deepest section that exists."""
  *parents, leaf = dotted.split('.')
  section, found = config, []
  for name in parents:
    if not isinstance(section.get(name), ml_collections.ConfigDict):
      break
    section, found = section[name], [*found, name]
  if len(found) < len(parents) or leaf not in section:
    close = difflib.get_close_matches(dotted, field_names(config), n=3)
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ''
    where = 'config.' + '.'.join(found) if found else 'config'
    raise ValueError(f'unknown config field {dotted!r}{hint} ({where} has: '
                     f"{', '.join(sorted(section))})")
  return section, leaf


def parse_override(section: ml_collections.ConfigDict, leaf: str, text: str, *,
                   dotted: str) -> Any:
  """`text` as a value of field `leaf` of `section` (its type; a literal for untyped fields)."""
  expected = section.get_type(leaf)
  if issubclass(expected, ml_collections.ConfigDict):
    raise ValueError(f'config field {dotted!r} is a section; override one of its fields: '
                     f"{', '.join(sorted(section[leaf]))}")
  if expected is str:
    return text
  value = _literal(text)
  if expected is bool and isinstance(value, str) and value.lower() in ('true', 'false'):
    value = value.lower() == 'true'
  if expected is float and isinstance(value, int) and not isinstance(value, bool):
    value = float(value)
  if expected is tuple and isinstance(value, list):
    value = tuple(value)
  ok = (expected is type(None) or value is None or
        (isinstance(value, expected) and not (expected is int and isinstance(value, bool))))
  if not ok:
    raise ValueError(f'config field {dotted!r} expects {expected.__name__}, got {text!r}.')
  return value


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
