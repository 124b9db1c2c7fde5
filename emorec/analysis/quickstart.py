"""What the quickstart notebook (notebooks/quickstart.ipynb) needs beyond training and plots:
the checkout's config files, the smoke switch, where runs go, and inline pictures."""

from __future__ import annotations

import os
import pathlib
from typing import Any, Mapping

import ml_collections
from matplotlib.figure import Figure

from emorec.analysis import plots
from emorec.experiments import config_args

SMOKE_VARIABLE = 'EMOREC_SMOKE'
RUNS_VARIABLE = 'EMOREC_RUNS'


def repo_root(start: str | os.PathLike = '.') -> pathlib.Path:
  """The nearest directory at or above `start` holding `configs/synthetic.py`."""
  here = pathlib.Path(start).resolve()
  for directory in (here, *here.parents):
    if (directory / 'configs' / 'synthetic.py').is_file():
      return directory
  raise FileNotFoundError(f'no emorec checkout (configs/synthetic.py) at or above {here}.')


def smoke_requested() -> bool:
  """Whether EMOREC_SMOKE asks for the smoke configs (1, true or yes)."""
  return os.environ.get(SMOKE_VARIABLE, '').strip().lower() in ('1', 'true', 'yes')


def runs_dir(root: pathlib.Path) -> pathlib.Path:
  """Where the notebook's runs go: EMOREC_RUNS, else `root/runs/quickstart`."""
  return pathlib.Path(os.environ.get(RUNS_VARIABLE) or root / 'runs' / 'quickstart')


def load_config(spec: str, overrides: Mapping[str, Any] | None = None, *, smoke: bool = False,
                root: pathlib.Path = pathlib.Path('.')) -> ml_collections.ConfigDict:
  """The config `spec` names as `--config=` does ('configs/cmdm.py:ablation=supervised', the
  path relative to `root`), with the `smoke` argument added when asked, then `overrides`
  ({'train.num_steps': 600}; strings are read as on the command line, see
  `config_args.apply_overrides`)."""
  if smoke:
    path, _, arg = spec.partition(':')
    spec = f"{path}:{','.join(filter(None, (arg, 'smoke')))}"
  config = config_args.config_from_spec(spec, root)
  texts = {field: value if isinstance(value, str) else repr(value)
           for field, value in (overrides or {}).items()}
  return config_args.apply_overrides(config, texts)


def show(figure: Figure, dpi: int = 100) -> None:
  """Displays a figure inline in IPython, rendered as PNG (`plots.png_bytes`)."""
  from IPython import display  # pylint: disable=g-import-not-at-top
  display.display(display.Image(plots.png_bytes(figure, dpi)))
