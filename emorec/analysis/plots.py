"""Pictures of runs: learning curves, confusion matrices, per-class F1, code projections and
zero-shot score matrices.

Each picture function builds a `matplotlib.figure.Figure` from plain values, outside pyplot's
global state, at a fixed size in inches (documented per function); `png_bytes` renders it with
the Agg backend and `write_figures` saves several as PNG files. `run_figures` and
`comparison_figures` pick the pictures that apply to one run's test outputs
(`predictions.Outputs`) or to several runs side by side.
"""

from __future__ import annotations

import io
import json
import math
import os
from typing import Mapping, Sequence

import numpy as np
from matplotlib import patches, ticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from emorec.data.corpus import MODALITIES
from emorec.evaluation.predictions import Outputs

History = list[dict[str, float]]
# {panel title: {line label: (steps, values)}}
Panels = dict[str, dict[str, tuple[list[int], list[float]]]]

CURVE_COLUMNS = 4
CURVE_PANEL_INCHES = (3.2, 2.4)
CONFUSION_INCHES = (11.0, 4.8)
F1_INCHES = (9.0, 4.0)
PROJECTION_ROW_INCHES = (10.0, 4.0)
SCORES_INCHES = (12.0, 8.0)
# Scalars of clu's ReportProgress that time the run rather than measure the model.
_TIMING = ('steps_per_sec', 'uptime')
_UNSEEN_COLOUR = 'tab:red'


def load_history(workdir: str) -> History:
  """The records of a run's `metrics.jsonl`, one `{'step': s, name: value, …}` per write."""
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    return [json.loads(line) for line in f if line.strip()]


def _is_curve(name: str) -> bool:
  """Whether a scalar is a loss term or metric followed over steps: not the step, the
  final results, timings, example counts, or a seed ensemble's spreads and single seeds."""
  return not (name == 'step' or name in _TIMING or name.startswith('final/')
              or name.endswith(('_std', '_ci95', 'num_examples')) or '/seed_' in name)


def panel_and_line(name: str) -> tuple[str, str]:
  """(panel, line) of a scalar: a modality's head joins its split's fused metric
  ('validation/text/wa' -> ('validation/wa', 'text')), a per-emotion metric its emotions
  ('validation/f1/sad' -> ('validation/f1 per emotion', 'sad')); anything else, each loss
  term included, is its own panel's 'fused' line."""
  split, _, rest = name.partition('/')
  head, _, metric = rest.partition('/')
  if head in MODALITIES and metric:
    return f'{split}/{metric}', head
  if metric and head != 'loss':
    return f'{split}/{head} per emotion', metric
  return name, 'fused'


def curve_panels(history: History) -> Panels:
  """Every loss term and metric of a run's history, grouped by `panel_and_line`."""
  panels: Panels = {}
  for record in history:
    for name, value in record.items():
      if _is_curve(name):
        panel, line = panel_and_line(name)
        steps, values = panels.setdefault(panel, {}).setdefault(line, ([], []))
        steps.append(int(record['step']))
        values.append(float(value))
  return panels


def grid_shape(count: int, columns: int = CURVE_COLUMNS) -> tuple[int, int]:
  """(rows, columns) of a grid of `count` panels at most `columns` wide."""
  return max(math.ceil(count / columns), 1), min(max(count, 1), columns)


def learning_curves(history: History) -> Figure:
  """One panel per loss term and metric against the step (`curve_panels`); a grid of
  `grid_shape(panels)`, each panel CURVE_PANEL_INCHES."""
  panels = curve_panels(history)
  rows, columns = grid_shape(len(panels))
  width, height = CURVE_PANEL_INCHES
  figure = Figure(figsize=(columns * width, rows * height), layout='constrained')
  axes = figure.subplots(rows, columns, squeeze=False).ravel()
  for ax, (title, lines) in zip(axes, panels.items()):
    for label, (steps, values) in lines.items():
      ax.plot(steps, values, marker='.' if len(steps) < 20 else None, label=label)
    ax.set_title(title, fontsize='small')
    ax.set_xlabel('step', fontsize='small')
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.tick_params(labelsize='x-small')
    if len(lines) > 1:
      ax.legend(fontsize='xx-small')
  for ax in axes[len(panels):]:
    ax.set_visible(False)
  return figure


def _heatmap(ax: Axes, matrix: np.ndarray, rows: Sequence[str], columns: Sequence[str],
             fmt: str) -> None:
  """`matrix` as an annotated heat map with labelled rows (true) and columns (predicted)."""
  image = ax.imshow(matrix, cmap='Blues', vmin=0)
  threshold = matrix.max() / 2
  for (i, j), value in np.ndenumerate(matrix):
    ax.text(j, i, format(value, fmt), ha='center', va='center', fontsize='small',
            color='white' if value > threshold else 'black')
  ax.set_xticks(range(len(columns)), columns, rotation=45, ha='right')
  ax.set_yticks(range(len(rows)), rows)
  ax.set_xlabel('predicted')
  ax.set_ylabel('true')
  ax.figure.colorbar(image, ax=ax, shrink=0.8)


def row_normalised(confusion: np.ndarray) -> np.ndarray:
  """Each row of a confusion matrix divided by its total (rows without examples stay 0)."""
  totals = confusion.sum(axis=1, keepdims=True)
  return confusion / np.maximum(totals, 1)


def confusion_matrices(confusion: np.ndarray, emotions: Sequence[str]) -> Figure:
  """Counts and row-normalised shares of a confusion matrix side by side (CONFUSION_INCHES)."""
  figure = Figure(figsize=CONFUSION_INCHES, layout='constrained')
  counts_ax, shares_ax = figure.subplots(1, 2)
  _heatmap(counts_ax, confusion, emotions, emotions, 'd')
  counts_ax.set_title('counts')
  _heatmap(shares_ax, row_normalised(confusion), emotions, emotions, '.2f')
  shares_ax.set_title('share of the true emotion (recall on the diagonal)')
  return figure


def per_class_f1(f1: Mapping[str, Mapping[str, float]], emotions: Sequence[str]) -> Figure:
  """Grouped bars of each emotion's test F1, one bar per method of `f1` ({method: {emotion:
  F1}}) (F1_INCHES)."""
  figure = Figure(figsize=F1_INCHES, layout='constrained')
  ax = figure.subplots()
  width = 0.8 / len(f1)
  positions = np.arange(len(emotions))
  for k, (method, scores) in enumerate(f1.items()):
    offset = (k - (len(f1) - 1) / 2) * width
    ax.bar(positions + offset, [scores[e] for e in emotions], width, label=method)
  ax.set_xticks(positions, emotions)
  ax.set_ylim(0, 1)
  ax.set_ylabel('test F1')
  ax.legend(fontsize='small', ncols=min(len(f1), 4))
  return figure


def pca(points: np.ndarray, dims: int = 2) -> tuple[np.ndarray, np.ndarray]:
  """The projection [N, dims] of `points` [N, D] on their first principal components, and the
  share of the variance each component explains."""
  centred = points - points.mean(axis=0)
  _, singular, components = np.linalg.svd(centred, full_matrices=False)
  variance = singular**2
  return centred @ components[:dims].T, variance[:dims] / max(variance.sum(), 1e-12)


def has_common_width(outputs: Outputs) -> bool:
  """Whether every modality's code has the same width (a space `pca` can project jointly)."""
  return len({code.shape[1] for code in outputs.codes.values()}) == 1


def code_points(outputs: Outputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """(codes [P, D], emotion id [P], modality id [P]) of every present modality of every
  utterance, modalities in `outputs.codes` order; a multi-label utterance takes its first
  emotion."""
  if not has_common_width(outputs):
    widths = {m: code.shape[1] for m, code in outputs.codes.items()}
    raise ValueError(f'the modalities have codes of different widths {widths}: set '
                     'model.code_dim to project them to a common space.')
  emotion = outputs.labels.argmax(-1) if outputs.multi_label else outputs.labels
  parts = [(code[outputs.present[m]], emotion[outputs.present[m]], k)
           for k, (m, code) in enumerate(outputs.codes.items())]
  return (np.concatenate([codes for codes, _, _ in parts]),
          np.concatenate([ids for _, ids, _ in parts]),
          np.concatenate([np.full(len(ids), k) for _, ids, k in parts]))


def _scatter(ax: Axes, xy: np.ndarray, groups: np.ndarray, names: Sequence[str]) -> None:
  """Points `xy` [P, 2] coloured by group id, with a legend of the group `names`."""
  for k, name in enumerate(names):
    chosen = groups == k
    ax.scatter(xy[chosen, 0], xy[chosen, 1], s=4, alpha=0.5, color=f'C{k % 10}', label=name)
  ax.legend(fontsize='x-small', markerscale=3)


def code_projections(runs: Mapping[str, Outputs]) -> Figure:
  """Each run's codes projected on their first two principal components (`pca`, fitted per
  run on every modality's codes), coloured by emotion (left) and by modality (right); a row
  of PROJECTION_ROW_INCHES per run."""
  width, height = PROJECTION_ROW_INCHES
  figure = Figure(figsize=(width, height * len(runs)), layout='constrained')
  axes = figure.subplots(len(runs), 2, squeeze=False)
  for (by_emotion, by_modality), (name, outputs) in zip(axes, runs.items()):
    codes, emotion, modality = code_points(outputs)
    xy, explained = pca(codes)
    for ax, groups, names, what in ((by_emotion, emotion, outputs.emotions, 'emotion'),
                                    (by_modality, modality, tuple(outputs.codes), 'modality')):
      _scatter(ax, xy, groups, names)
      ax.set_title(f'{name}: codes by {what}')
      ax.set_xlabel(f'PC1 ({100 * explained[0]:.0f}% of variance)')
      ax.set_ylabel(f'PC2 ({100 * explained[1]:.0f}%)')
  return figure


def rows_by_emotion(emotion: np.ndarray, num_emotions: int, per_emotion: int) -> np.ndarray:
  """Indices of the first `per_emotion` utterances of each emotion id, emotion by emotion."""
  return np.concatenate([np.flatnonzero(emotion == k)[:per_emotion]
                         for k in range(num_emotions)]).astype(np.int64)


def standardised(logits: np.ndarray) -> np.ndarray:
  """Each column of `logits` [N, K] as z-scores over the utterances (constant columns: 0)."""
  spread = logits.std(axis=0)
  return (logits - logits.mean(axis=0)) / np.where(spread > 0, spread, 1)


def _score_panel(ax: Axes, matrix: np.ndarray, emotions: Sequence[str], unseen: Sequence[str],
                 groups: np.ndarray, **style) -> None:
  """Rows of utterances grouped by true emotion (`groups` rows each) against every emotion,
  the `unseen` columns framed and starred."""
  image = ax.imshow(matrix, aspect='auto', interpolation='nearest', **style)
  ax.figure.colorbar(image, ax=ax, shrink=0.8)
  ax.set_xticks(range(len(emotions)),
                [f'{e}*' if e in unseen else e for e in emotions], rotation=45, ha='right')
  for k, e in enumerate(emotions):
    if e in unseen:
      ax.get_xticklabels()[k].set_color(_UNSEEN_COLOUR)
      ax.add_patch(patches.Rectangle((k - 0.5, -0.5), 1, len(matrix), fill=False,
                                     edgecolor=_UNSEEN_COLOUR, linewidth=2))
  edges = np.cumsum(groups)
  ax.set_yticks(edges - groups / 2 - 0.5, emotions)
  for edge in edges[:-1]:
    ax.axhline(edge - 0.5, color='white', linewidth=1)
  ax.set_xlabel('scored emotion (* unseen in training)')


def zero_shot_scores(probabilities: np.ndarray, logits: np.ndarray, labels: np.ndarray,
                     emotions: Sequence[str], unseen: Sequence[str],
                     per_emotion: int = 10) -> Figure:
  """Test utterances (rows, `per_emotion` of each true emotion, grouped) scored for every
  emotion (columns): the probabilities [N, K] (left), where an unseen emotion competes with
  the seen ones, and the logits [N, K] standardised per emotion (right), which show whether
  an unseen emotion's scores rank its own utterances first. Emotions `unseen` in training are
  framed and starred; multi-label utterances are grouped by their first emotion
  (SCORES_INCHES)."""
  emotion = labels.argmax(-1) if labels.ndim == 2 else labels
  rows = rows_by_emotion(emotion, len(emotions), per_emotion)
  groups = np.bincount(emotion[rows], minlength=len(emotions))
  figure = Figure(figsize=SCORES_INCHES, layout='constrained')
  left, right = figure.subplots(1, 2)
  _score_panel(left, probabilities[rows], emotions, unseen, groups, cmap='viridis', vmin=0,
               vmax=1)
  left.set_title('sigmoid scores' if labels.ndim == 2 else 'probabilities')
  left.set_ylabel('true emotion of the test utterance')
  _score_panel(right, standardised(logits)[rows], emotions, unseen, groups, cmap='coolwarm',
               vmin=-3, vmax=3)
  right.set_title('logits, z-scored per emotion over the test split')
  return figure


def run_figures(outputs: Outputs, history: History | None = None, *,
                name: str = 'test') -> dict[str, Figure]:
  """The pictures that apply to one run, by file stem: 'learning_curves' (with a history),
  'confusion' (single-label), 'codes' (codes of one width) and 'zero_shot_scores' (with
  emotions held out of training)."""
  figures = {}
  if history:
    figures['learning_curves'] = learning_curves(history)
  if not outputs.multi_label:
    figures['confusion'] = confusion_matrices(outputs.confusion(), outputs.emotions)
  if has_common_width(outputs):
    figures['codes'] = code_projections({name: outputs})
  if outputs.unseen:
    figures['zero_shot_scores'] = zero_shot_scores(
        outputs.scores(), outputs.logits, outputs.labels, outputs.emotions, outputs.unseen)
  return figures


def comparison_figures(runs: Mapping[str, Outputs]) -> dict[str, Figure]:
  """The pictures of several runs of one corpus, by file stem: 'per_class_f1', and
  'codes_compared' (one projection per run) when every run has codes of one width."""
  emotions = {outputs.emotions for outputs in runs.values()}
  if len(emotions) != 1:
    raise ValueError(f'the runs score different emotions: {sorted(emotions)}.')
  figures = {'per_class_f1': per_class_f1(
      {name: outputs.per_class_f1() for name, outputs in runs.items()}, emotions.pop())}
  if all(has_common_width(outputs) for outputs in runs.values()):
    figures['codes_compared'] = code_projections(runs)
  return figures


def png_bytes(figure: Figure, dpi: int = 100) -> bytes:
  """The figure rendered as PNG by the Agg backend, figsize * dpi pixels."""
  buffer = io.BytesIO()
  FigureCanvasAgg(figure).print_figure(buffer, format='png', dpi=dpi)
  return buffer.getvalue()


def write_figures(figures: Mapping[str, Figure], directory: str, dpi: int = 100) -> list[str]:
  """Writes each figure to `directory/<stem>.png`; returns the paths."""
  os.makedirs(directory, exist_ok=True)
  paths = []
  for stem, figure in figures.items():
    path = os.path.join(directory, f'{stem}.png')
    with open(path, 'wb') as f:
      f.write(png_bytes(figure, dpi))
    paths.append(path)
  return paths
