"""The quickstart notebook: stored without outputs, and runs headless on the smoke configs."""

import pathlib

import nbformat
from nbclient import NotebookClient

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / 'notebooks' / 'quickstart.ipynb'


def test_notebook_is_stored_without_outputs():
  notebook = nbformat.read(NOTEBOOK, as_version=4)
  nbformat.validate(notebook)
  for cell in notebook.cells:
    if cell.cell_type == 'code':
      assert not cell.outputs and cell.execution_count is None, cell.source[:60]


def test_notebook_runs_headless_on_smoke_configs(tmp_path, monkeypatch):
  monkeypatch.setenv('EMOREC_SMOKE', '1')
  monkeypatch.setenv('EMOREC_RUNS', str(tmp_path))
  notebook = nbformat.read(NOTEBOOK, as_version=4)
  # The 'python3' kernel of the running interpreter (jupyter_client starts it with
  # sys.executable); a failing cell raises CellExecutionError.
  client = NotebookClient(notebook, kernel_name='python3', timeout=300,
                          resources={'metadata': {'path': str(NOTEBOOK.parent)}})
  client.execute()
  images = [output for cell in notebook.cells if cell.cell_type == 'code'
            for output in cell.outputs if 'image/png' in output.get('data', {})]
  assert len(images) == 5
  assert (tmp_path / 'figures' / 'per_class_f1.png').is_file()
