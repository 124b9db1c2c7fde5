"""What every entry point does first: check its `--config` spec and overrides, quiet the
libraries' INFO logs (unless `--library_logs`), then run under absl."""

from __future__ import annotations

import os
import sys
from typing import Callable, Sequence

from absl import app, flags

_LIBRARY_LOGS = flags.DEFINE_bool(
    'library_logs', False, "Show the INFO lines of absl, orbax and TensorFlow (off: emorec's "
    'own progress, evaluation and result lines only).')


def config_arguments(argv: Sequence[str]) -> tuple[str | None, dict[str, str]]:
  """(the `--config` spec, the `--config.FIELD` overrides) of a command line."""
  spec, overrides = None, {}
  args = list(argv[1:])
  while args:
    arg = args.pop(0)
    name, has_value, value = arg.partition('=')
    if not name.startswith('--config'):
      continue
    if not has_value:
      takes_next = args and not args[0].startswith('-')
      value = args.pop(0) if takes_next else 'true'
    if name == '--config':
      spec = value
    elif name.startswith('--config.'):
      overrides[name[len('--config.'):]] = value
  return spec, overrides


def check_command_line(argv: Sequence[str]) -> str | None:
  """The one-line error of a bad `--config` spec or override, or None.

  absl would otherwise raise from inside flag parsing, with a traceback and no hint.
  """
  from emorec.experiments import config_args  # pylint: disable=g-import-not-at-top
  spec, overrides = config_arguments(argv)
  if spec is None:
    return None
  try:
    config = config_args.config_from_spec(spec)
    for dotted, text in overrides.items():
      section, leaf = config_args.field_section(config, dotted)
      config_args.parse_override(section, leaf, text, dotted=dotted)
  except (ValueError, FileNotFoundError) as error:
    return f'{os.path.basename(argv[0])}: {error}'
  return None


def run(main: Callable[[list[str]], None]) -> None:
  """`app.run(main)` for every entry point: a bad `--config` spec or override stops at once
  with one line (exit 2), and library INFO logs stay off unless `--library_logs`."""
  error = check_command_line(sys.argv)
  if error:
    print(error, file=sys.stderr)
    sys.exit(2)

  def quiet_main(argv: list[str]) -> None:
    from emorec.training import console  # pylint: disable=g-import-not-at-top
    console.quiet_libraries(not _LIBRARY_LOGS.value)
    main(argv)

  app.run(quiet_main)
