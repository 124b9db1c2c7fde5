"""Training: the train state, the jitted train step over the data mesh, and the training loop.

The step is one pure function `(state, batch, rng) -> (state, metrics)`, compiled with `jax.jit`
over a 1-D ('data',) mesh of every device of every process: parameters are replicated and the
batch is split along 'data', so terms computed over the batch (MMD, in-batch negatives) see the
global batch whatever the number of devices. This is the data-parallel ("pmapped") model on
JAX's current API.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import signal
from typing import Any, Callable, Iterator, Mapping

import flax.linen as nn
import jax
import ml_collections
import numpy as np
import optax
import tensorflow as tf
from clu import parameter_overview, periodic_actions
from flax.training import train_state
from jax.experimental import multihost_utils
from jax.sharding import Mesh

from emorec import objectives
from emorec.data import loader, pipeline
from emorec.data.corpus import Corpus
from emorec.evaluation import evaluate, protocols
from emorec.models import build_model
from emorec.objectives.base import Outputs
from emorec.objectives.views import ViewOptions, augment
from emorec.training import checkpoints, console, seeds, sharding, writers
from emorec.training.labels import model_labels

TrainState = train_state.TrainState
Metrics = dict[str, jax.Array]


@dataclasses.dataclass(frozen=True)
class TrainResult:
  """What a run leaves: the final state, the selected state's metrics, and whether it finished."""

  state: TrainState
  metrics: dict[str, float]
  completed: bool


def num_train_steps(train_config: ml_collections.ConfigDict, num_labelled: int) -> int:
  """`train.num_steps`, or `train.num_epochs` passes over the labelled examples when it is set."""
  if train_config.get('num_epochs'):
    return math.ceil(train_config.num_epochs * num_labelled / train_config.batch_size)
  return int(train_config.num_steps)


def make_optimizer(train_config: ml_collections.ConfigDict,
                   num_steps: int) -> optax.GradientTransformation:
  """AdamW with linear warm-up and cosine decay, after optional global-norm clipping."""
  schedule = optax.warmup_cosine_decay_schedule(
      init_value=0.0,
      peak_value=train_config.learning_rate,
      warmup_steps=min(train_config.warmup_steps, max(num_steps - 1, 0)),
      decay_steps=max(num_steps, 1),
      end_value=train_config.learning_rate * train_config.final_lr_fraction)
  steps = []
  if train_config.grad_clip_norm:
    steps.append(optax.clip_by_global_norm(train_config.grad_clip_norm))
  steps.append(optax.adamw(schedule, weight_decay=train_config.weight_decay))
  return optax.chain(*steps)


def dummy_batch(corpus: Corpus, modalities: tuple[str, ...], max_len: int,
                batch_size: int = 1) -> dict[str, np.ndarray]:
  """A zero batch with the shapes the model sees, for initialisation."""
  batch = {}
  for modality in modalities:
    batch[modality] = np.zeros((batch_size, max_len, corpus.modality_dims[modality]), np.float32)
    batch[f'{modality}_mask'] = np.ones((batch_size, max_len), np.float32)
  return batch


def create_train_state(model: nn.Module, tx: optax.GradientTransformation,
                       batch: Mapping[str, np.ndarray], rng: jax.Array,
                       mesh: Mesh) -> TrainState:
  """Initialises parameters and optimizer state directly replicated over the mesh.

  A stack of keys [K] gives K replicas along a leading seed axis, initialised one after
  the other: batched orthogonal initialisers (recurrent kernels 256 and more wide) can wedge
  XLA's CPU thread pool under `vmap`.
  """

  def init(key: jax.Array) -> TrainState:
    params = model.init({'params': key}, batch, train=False)['params']
    return TrainState.create(apply_fn=model.apply, params=params, tx=tx)

  if rng.ndim:
    init = functools.partial(jax.lax.map, init)
  return jax.jit(init, out_shardings=sharding.replicated(mesh))(rng)


def forward_views(forward: Callable[[Mapping[str, jax.Array], jax.Array], Outputs],
                  batch: Mapping[str, jax.Array], views: Mapping[str, ViewOptions],
                  rng: jax.Array) -> dict[str, Outputs]:
  """The forward pass of every view of ``batch``, each view's augmentation and dropout keys
  folded from ``rng`` by its position in ``views``: deterministic given the step's key, and
  the same on any number of devices (jax.random's draws do not depend on the sharding)."""
  outputs = {}
  for index, (name, options) in enumerate(views.items()):
    augment_key, dropout_key = jax.random.split(jax.random.fold_in(rng, index + 1))
    outputs[name] = forward(augment(batch, augment_key, options), dropout_key)
  return outputs


def train_step(state: TrainState, batch: Mapping[str, Mapping[str, jax.Array]], rng: jax.Array,
               *, terms: Mapping[str, tuple[objectives.Term, float]]) -> tuple[TrainState, Metrics]:
  """One optimisation step on the weighted sum of the objective terms.

  The unlabelled batch is read only when a term asks for it, its augmented views only when a
  term asks for them (`forward_views`); a forward pass no term reads is pruned by the compiler.
  """
  step_rng = jax.random.fold_in(rng, state.step)
  labelled_rng, unlabelled_rng = jax.random.split(step_rng)
  views = objectives.views(terms)

  def forward(params: Any, inputs: Mapping[str, jax.Array], key: jax.Array) -> Outputs:
    logits, aux = state.apply_fn({'params': params}, inputs, train=True, rngs={'dropout': key})
    return Outputs(inputs, logits, aux)

  def loss_fn(params: Any) -> tuple[jax.Array, tuple[Metrics, jax.Array]]:
    labelled = forward(params, batch['labelled'], labelled_rng)
    unlabelled = None
    if objectives.uses_unlabelled(terms):
      unlabelled = forward(params, batch['unlabelled'], unlabelled_rng)
      unlabelled = unlabelled._replace(views=forward_views(
          functools.partial(forward, params), batch['unlabelled'], views, unlabelled_rng))
    total, values = objectives.combine(terms, labelled, unlabelled)
    return total, (values, labelled.logits)

  (loss, (values, logits)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
  metrics = {
      'loss': loss,
      'grad_norm': optax.tree.norm(grads),
      'accuracy': objectives.supervised.accuracy(logits, batch['labelled']),
      **{f'loss/{name}': value for name, value in values.items()},
  }
  return state.apply_gradients(grads=grads), metrics


def check_finite(step: int, metrics: Mapping[str, float]) -> None:
  """Stops the run with a message naming the step and the first non-finite term."""
  for name, value in metrics.items():
    if not np.isfinite(value):
      raise FloatingPointError(
          f'Non-finite training metric at step {step}: {name} = {value}. Lower '
          'train.learning_rate, set train.grad_clip_norm, or check the input features.')


class _StopSignal:
  """Records SIGTERM so the loop can checkpoint and leave at the next step boundary."""

  def __init__(self):
    self.requested = False
    self._previous = signal.signal(signal.SIGTERM, self._handle)

  def _handle(self, signum, frame):
    del signum, frame
    self.requested = True

  def restore(self) -> None:
    signal.signal(signal.SIGTERM, self._previous)

  def agreed(self, step: int, every: int) -> bool:
    """Whether every process has been asked to stop (checked every `every` steps with peers)."""
    if jax.process_count() == 1:
      return self.requested
    if step % every:
      return False
    flags = multihost_utils.process_allgather(np.array(self.requested))
    return bool(np.any(flags))


def _stream_config(config: ml_collections.ConfigDict) -> dict[str, Any]:
  return {'modalities': tuple(config.model.modalities), 'max_len': config.data.max_len,
          'trim_padding': config.train.trim_padding}


def train_batches(config: ml_collections.ConfigDict, corpus: Corpus, labelled: np.ndarray,
                  mesh: Mesh, start_step: int, *,
                  with_unlabelled: bool = True) -> Iterator[dict[str, Any]]:
  """The zipped labelled and unlabelled numpy streams for this process, from `start_step` on.

  Without `with_unlabelled` (no objective term reads it) the unlabelled stream is not built, so
  supervised runs do not pay for generating examples nobody uses.
  """
  common = _stream_config(config)
  train = corpus.splits['train']
  process = {'process_index': jax.process_index(), 'process_count': jax.process_count()}
  sharding.check_batch_size('train.batch_size', config.train.batch_size, mesh)
  sharding.check_batch_size(
      'train.unlabelled_batch_size', config.train.unlabelled_batch_size, mesh)
  labelled_stream = pipeline.train_stream(
      train, labelled, keys=(corpus.label_key,), global_batch_size=config.train.batch_size,
      seed=seeds.data_seed(config), start_step=start_step, **common, **process)
  if not with_unlabelled:
    return pipeline.semi_supervised_stream(labelled_stream)
  unlabelled_stream = pipeline.train_stream(
      train, np.arange(train.num_examples), keys=(),
      global_batch_size=config.train.unlabelled_batch_size, seed=seeds.data_seed(config) + 1,
      start_step=start_step, **common, **process)
  return pipeline.semi_supervised_stream(labelled_stream, unlabelled_stream)


def eval_batches(config: ml_collections.ConfigDict, corpus: Corpus, split: str,
                 mesh: Mesh) -> Iterator[dict[str, np.ndarray]]:
  sharding.check_batch_size('eval.batch_size', config.eval.batch_size, mesh)
  return pipeline.eval_stream(
      corpus.splits[split], keys=(corpus.label_key,), global_batch_size=config.eval.batch_size,
      process_index=jax.process_index(), process_count=jax.process_count(),
      **_stream_config(config)).as_numpy_iterator()


def _next_batch(iterator: Iterator[Any]) -> Any:
  """The next batch, with tf.data's input errors turned into a plain ValueError."""
  try:
    return next(iterator)
  except tf.errors.InvalidArgumentError as error:
    raise ValueError(f'Bad input data: {error.message}') from None


def _mean_metrics(history: list[Metrics]) -> dict[str, float]:
  stacked = jax.device_get(history)
  return {k: float(np.mean([m[k] for m in stacked])) for k in stacked[0]}


@dataclasses.dataclass(frozen=True)
class Experiment:
  """Everything a config determines before training: data, mesh, model, objective, schedule.

  `corpus` is the whole corpus; `view` the corpus as training sees it under the protocol of
  `data.held_out` and `data.few_shot` (`protocols.view_of`; the corpus itself when none is
  held out). The model scores the view's emotions.
  """

  config: ml_collections.ConfigDict
  corpus: Corpus
  view: Corpus
  mesh: Mesh
  model: nn.Module
  terms: Mapping[str, tuple[objectives.Term, float]]
  labelled: np.ndarray
  num_steps: int
  num_seeds: int

  @property
  def uses_unlabelled(self) -> bool:
    return objectives.uses_unlabelled(self.terms)

  def rngs(self) -> tuple[jax.Array, jax.Array]:
    """Initialisation and root dropout keys (stacked along the seed axis when K > 1)."""
    return seeds.replica_keys(self.config)

  def initial_state(self) -> TrainState:
    batch = dummy_batch(self.corpus, tuple(self.config.model.modalities), self.config.data.max_len)
    tx = make_optimizer(self.config.train, self.num_steps)
    return create_train_state(self.model, tx, batch, self.rngs()[0], self.mesh)

  def initial_selection(self, state: TrainState) -> seeds.Selection:
    return jax.device_put(seeds.initial_selection(state.params, self.num_seeds),
                          sharding.replicated(self.mesh))

  def train_step(self) -> Any:
    """The jitted step (mapped over the seed axis when K > 1), state donated."""
    replicated = sharding.replicated(self.mesh)
    step = functools.partial(train_step, terms=self.terms)
    if self.num_seeds > 1:
      step = seeds.over_seeds(step, (0, None, 0), self.config.seed_axis)
    return jax.jit(step, donate_argnums=0, out_shardings=(replicated, replicated))

  def train_batches(self, start_step: int) -> Iterator[dict[str, Any]]:
    """Numpy batches from `start_step` on; the unlabelled stream only when a term reads it."""
    return train_batches(self.config, self.view, self.labelled, self.mesh, start_step,
                         with_unlabelled=self.uses_unlabelled)

  def split_evaluator(self, corpus: Corpus) -> Any:
    """`evaluate(params, split) -> [metrics per seed]` over a whole split of `corpus`, every
    emotion of which is scored (see `protocols.scoring_model`)."""
    model, columns = protocols.scoring_model(self.model, self.view.emotions, corpus.emotions)
    eval_step = evaluate.make_eval_step(model, self.mesh, self.num_seeds,
                                        seed_axis=self.config.seed_axis, columns=columns,
                                        num_classes=corpus.num_classes)
    threshold = self.config.eval.get('threshold', 0.5)

    def run(params: Any, split: str) -> list[dict[str, float]]:
      batches = eval_batches(self.config, corpus, split, self.mesh)
      return evaluate.evaluate(eval_step, params, batches, self.mesh, corpus.emotions,
                               self.num_seeds, threshold=threshold)

    return run

  def evaluator(self) -> Any:
    """`evaluate(params, split) -> [metrics per seed]` over a whole split.

    Validation is scored on the view (it selects the checkpoint without the held-out
    emotions); test on the whole corpus over every emotion, with the 'unseen/…' and
    'seen/…' means of `protocols.group_means` when emotions are held out.
    """
    on_view = self.split_evaluator(self.view)
    on_corpus = on_view if self.view is self.corpus else self.split_evaluator(self.corpus)
    held_out = tuple(self.config.data.get('held_out', ()))

    def run(params: Any, split: str) -> list[dict[str, float]]:
      if split != 'test':
        return on_view(params, split)
      return [{**m, **protocols.group_means(m, self.corpus.emotions, held_out)}
              for m in on_corpus(params, split)]

    return run


def _check_trim_padding(config: ml_collections.ConfigDict) -> None:
  """``train.trim_padding`` changes the frame count, which a fixed-length encoder reads."""
  fixed = [m for m, name in config.model.get('modality_encoder', {}).items()
           if name == 'spectrogram_cnn']
  if config.train.trim_padding and fixed:
    raise ValueError(f'train.trim_padding needs encoders that take any frame count; the '
                     f"spectrogram_cnn of {', '.join(fixed)} reads data.max_len frames.")


def build_experiment(config: ml_collections.ConfigDict) -> Experiment:
  """Loads the corpus and builds the mesh, model and objective a config names.

  The experiment's config is ``config`` resolved (``objectives.resolve``): its model builds the
  parts the active terms read, and its derived fields are set.
  """
  config = objectives.resolve(config)
  _check_trim_padding(config)
  corpus = loader.load_corpus(config.data)
  view = protocols.view_of(corpus, config.data, seeds.data_seed(config))
  mesh = sharding.make_data_mesh(config.get('num_devices'))
  train_labels = view.splits['train'].labels
  labelled = pipeline.labelled_subset(
      train_labels, config.data.label_fraction, seeds.data_seed(config),
      stratified=config.data.stratified)
  return Experiment(
      config=config,
      corpus=corpus,
      view=view,
      mesh=mesh,
      model=build_model(config.model, corpus.modality_dims, view.num_classes,
                        labels=model_labels(config.model, view.emotions)),
      terms=objectives.active_terms(config, train_labels[labelled]),
      labelled=labelled,
      num_steps=num_train_steps(config.train, len(labelled)),
      num_seeds=seeds.num_seeds(config))


def _write_per_seed(writer: Any, step: int, prefix: str,
                    per_seed: list[dict[str, float]]) -> None:
  writer.write_scalars(step, {f'{prefix}/{k}': v for k, v in seeds.summarize(per_seed).items()})


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str, *,
                       quiet: bool = False) -> TrainResult:
  """Trains (resuming from `workdir` when it holds a checkpoint), selects on validation, tests.

  Returns the final state and the metrics of the selected parameters on the validation and
  test splits (per seed and summarised when `num_seeds` > 1), also written to
  `workdir/results.json`.
  """
  experiment = build_experiment(config)
  num_steps = experiment.num_steps
  state = experiment.initial_state()
  selection = experiment.initial_selection(state)
  manager = checkpoints.manager(workdir, max_to_keep=config.train.max_checkpoints)
  if manager.latest_step() is not None:
    state, selection = checkpoints.restore(manager, manager.latest_step(), state, selection)
  start_step = _scalar_step(state)

  writer = writers.make_writer(workdir)
  show = console.Console(num_steps, enabled=not quiet and jax.process_index() == 0)
  if start_step == 0 and jax.process_index() == 0:
    writer.write_hparams(config.to_dict())
    _write_parameter_overview(state.params, workdir, show=not quiet)
  report_progress = periodic_actions.ReportProgress(
      num_train_steps=num_steps, writer=writer, every_steps=config.train.log_every)
  step_fn = experiment.train_step()
  evaluate_split = experiment.evaluator()
  _, dropout_rng = experiment.rngs()
  batches = experiment.train_batches(start_step)
  metric = config.eval.selection_metric
  stop = _StopSignal()
  history: list[Metrics] = []
  completed = True
  try:
    for step in range(start_step + 1, num_steps + 1):
      if stop.agreed(step, config.train.log_every):
        checkpoints.save(manager, step - 1, state, selection)
        completed = False
        break
      batch = sharding.to_global(_next_batch(batches), experiment.mesh)
      state, metrics = step_fn(state, batch, dropout_rng)
      history.append(metrics)
      report_progress(step)
      if step == start_step + 1:  # compiled and run once: speeds are measured from here
        jax.block_until_ready(metrics)
        show.started(step)
      if step % config.train.log_every == 0 or step == num_steps:
        summary = _mean_metrics(history)
        check_finite(step, summary)
        writer.write_scalars(step, {f'train/{k}': v for k, v in summary.items()})
        show.progress(step, summary)
        history = []
      if step % config.train.eval_every == 0 or step == num_steps:
        with report_progress.timed('eval'):
          val = evaluate_split(state.params, 'validation')
        _write_per_seed(writer, step, 'validation', val)
        scores = np.array([m[metric] for m in val], np.float32).reshape(selection['score'].shape)
        selection = seeds.update_selection(selection, state.params, scores, step)
        show.evaluation(step, 'validation', seeds.summarize(val), metric,
                        _best(selection))
        if _stalled(config, selection, step):
          checkpoints.save(manager, step, state, selection)
          break
      if step % config.train.checkpoint_every == 0 or step == num_steps:
        checkpoints.save(manager, step, state, selection)
  finally:
    stop.restore()
    manager.wait_until_finished()

  if not completed:
    writer.flush()
    return TrainResult(state, {}, completed=False)
  per_split = {split: evaluate_split(selection['params'], split)
               for split in ('validation', 'test')}
  results = {}
  for split, per_seed in per_split.items():
    results.update({f'{split}/{k}': v for k, v in seeds.summarize(per_seed).items()})
  results['selected_step'] = float(np.mean(jax.device_get(selection['step'])))
  if 'bayes_accuracy' in experiment.corpus.info:
    results['bayes_accuracy'] = float(experiment.corpus.info['bayes_accuracy'])
  writer.write_scalars(_scalar_step(state), {f'final/{k}': v for k, v in results.items()})
  writer.flush()
  if jax.process_index() == 0:
    with open(os.path.join(workdir, 'results.json'), 'w') as f:
      json.dump(results, f, indent=1, sort_keys=True)
  return TrainResult(state, results, completed=True)


def _write_parameter_overview(params: Any, workdir: str, *, show: bool) -> None:
  """The parameter table in `workdir/parameters.txt`, and its total on the console."""
  with open(os.path.join(workdir, 'parameters.txt'), 'w') as f:
    f.write(parameter_overview.get_parameter_overview(params) + '\n')
  if show:
    total = sum(int(np.prod(x.shape)) for x in jax.tree.leaves(params))
    print(f'model: {total:,} parameters (table in {os.path.join(workdir, "parameters.txt")})',
          flush=True)


def _best(selection: seeds.Selection) -> tuple[float, int]:
  """The best validation score so far and its step (means over the seeds of an ensemble)."""
  score, step = jax.device_get((selection['score'], selection['step']))
  return float(np.mean(score)), int(np.round(np.mean(step)))


def _scalar_step(state: TrainState) -> int:
  """The step of a state (all replicas of a seed ensemble advance together)."""
  return int(np.max(jax.device_get(state.step)))


def _stalled(config: ml_collections.ConfigDict, selection: seeds.Selection, step: int) -> bool:
  """Whether no seed has improved on validation for `train.early_stopping_evals` evaluations."""
  patience = config.train.early_stopping_evals
  best_steps = np.asarray(jax.device_get(selection['step']))
  return bool(patience) and bool(
      np.all(step - best_steps >= patience * config.train.eval_every))
