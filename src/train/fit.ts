// nb.fit: the Keras-style training loop over nabla modules and optimizers. Mini-batches with
// shuffling, validation data or a split, metrics, callbacks, gradient clipping, regularization
// penalties, and resuming from a checkpoint. Memory stays flat: every step runs in a tidy scope.

import { fuse } from "../nn/fuse.js";
import { compile } from "../graph/compile.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkOptions, optionNames } from "../core/options.js";
import { tidy } from "../tensor/scope.js";
import { Module } from "../nn/module.js";
import { Optimizer } from "../optim/optimizer.js";
import { clipGradNorm, clipGradValue } from "../nn/utils/gradients.js";
import { l1 as l1Penalty, l2 as l2Penalty } from "../regularizers.js";
import { add } from "../ops/elementwise.js";
import { type Metric, metricFromName } from "../metrics/index.js";
import { type Callback, type FitContext, type Logs, runHook } from "./callbacks/callback.js";
import { ProgressBar } from "./callbacks/progress-bar.js";
import { type DataSource, splitTail, toDataset, toLoader } from "./data-source.js";
import { DataLoader } from "../data/dataloader.js";
import { type LossFn, type LossSpec, resolveLoss } from "./loss-fn.js";
import { evaluateLoader } from "./evaluate.js";
import { HISTORY_INFO, trainingInfo } from "./diagnose.js";
import { resumeCheckpoint } from "./checkpoint-state.js";
import { averageLogs, callbacksForRank, type DistributedFit, distributedFit, shardLoader } from "./distributed-fit.js";

/** Values per epoch by Keras key: loss, accuracy, val_loss, val_accuracy, lr, ... */
export type History = Record<string, number[]>;

export interface Regularization {
  /** λ of an L1 penalty λ·Σ|w| over the weights (parameters with more than one dimension). */
  l1?: number;
  /** λ of an L2 penalty λ·Σw² over the weights. */
  l2?: number;
}

export interface FitOptions {
  train: DataSource;
  validation?: DataSource;
  /** Hold out this fraction of train (its last samples, as Keras) for validation. */
  validationSplit?: number;
  epochs: number;
  /** Ignored when train is a DataLoader. Default 32, as Keras. */
  batchSize?: number;
  /** Shuffle the training data every epoch (default true; ignored for a DataLoader). */
  shuffle?: boolean;
  /** Seed of the shuffling generator when fit makes the loader. */
  seed?: number;
  optimizer: Optimizer;
  loss: LossSpec;
  metrics?: (string | Metric)[];
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Clip the global gradient norm (nb.nn.utils.clipGradNorm) before each step. */
  clipGradNorm?: number;
  /** Clip every gradient element to [-v, v] before each step. */
  clipGradValue?: number;
  /** Add weight penalties to the loss (or a function of the model returning a scalar penalty). */
  regularization?: Regularization | ((model: Module) => Tensor);
  /** Continue from a checkpoint written by ModelCheckpoint (weights, optimizer, epoch, RNG): its path, or its bytes. */
  resumeFrom?: string | Uint8Array;
  /**
   * Train a fused copy of the model (nb.nn.fuse: conv → relu → pool blocks as one op; the same
   * values, gradients and parameters), default true. The model passed in is left unfused.
   */
  fuse?: boolean;
  /**
   * Run each training step through nb.compile (default false): after a traced and two captured
   * steps, a step replays its kernel calls with no op dispatch, autograd bookkeeping or allocation
   * (docs/graph.md). Equal to eager bit for bit; a step compile cannot capture (clipGradNorm
   * reads the norm on the host) runs eagerly.
   */
  compile?: boolean;
}

/** Every FitOptions name (unknown names are an error, with Keras' spellings pointed to ours). */
export const FIT_OPTIONS = optionNames<FitOptions>({
  train: 1, validation: 1, validationSplit: 1, epochs: 1, batchSize: 1, shuffle: 1, seed: 1, optimizer: 1, loss: 1,
  metrics: 1, callbacks: 1, verbose: 1, clipGradNorm: 1, clipGradValue: 1, regularization: 1, resumeFrom: 1, fuse: 1,
  compile: 1,
});
export const FIT_ADVICE: Readonly<Record<string, string>> = {
  x: "train: { x, y } (or a Dataset or DataLoader)", y: "train: { x, y } (or a Dataset or DataLoader)",
  validation_data: "validation", validationData: "validation", lr: "the optimizer's lr (new nb.optim.Adam(params, { lr }))",
  initial_epoch: "resumeFrom, a checkpoint written by ModelCheckpoint", initialEpoch: "resumeFrom, a checkpoint written by ModelCheckpoint",
};

export async function fit(model: Module, opts: FitOptions): Promise<History> {
  if (!(model instanceof Module)) throw new TypeError("fit: model must be an nb.nn.Module");
  if (!opts || typeof opts !== "object") throw new TypeError("fit: options are required ({ train, epochs, optimizer, loss })");
  checkOptions("fit", opts, FIT_OPTIONS, FIT_ADVICE);
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new RangeError(`fit: epochs must be a positive integer, got ${opts.epochs}`);
  if (!(opts.optimizer instanceof Optimizer)) throw new TypeError("fit: optimizer must be an nb.optim optimizer (e.g. new nb.optim.Adam(model.parameters()))");
  if (opts.train === undefined) throw new TypeError("fit: train data is required");
  const lossFn = resolveLoss(opts.loss, "fit");
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`fit: batchSize must be a positive integer, got ${opts.batchSize}`);
  if (opts.validation !== undefined && opts.validationSplit !== undefined) throw new Error("fit: give either validation or validationSplit, not both");

  let trainSource: DataSource = opts.train;
  let valSource: DataSource | undefined = opts.validation;
  if (opts.validationSplit !== undefined) [trainSource, valSource] = splitTail(toDataset(opts.train, "fit"), opts.validationSplit);
  let trainLoader = toLoader(trainSource, { batchSize, shuffle: opts.shuffle ?? true, seed: opts.seed }, "fit");
  const valLoader = valSource === undefined ? null : toLoader(valSource, { batchSize, shuffle: false }, "fit");
  const metrics = (opts.metrics ?? []).map((m) => (typeof m === "string" ? metricFromName(m) : m));
  // A DistributedDataParallel model: this process is one rank (src/train/distributed-fit.ts).
  const dist = distributedFit(model);
  let distributed: DistributedFit | null = null;
  if (dist) {
    if (opts.resumeFrom) throw new Error("fit: resumeFrom is not supported with a DistributedDataParallel model yet");
    const sharded = shardLoader(trainLoader, opts.train instanceof DataLoader ? trainLoader.shuffle : (opts.shuffle ?? true), opts.seed);
    trainLoader = sharded.loader;
    distributed = { ...dist, sampler: sharded.sampler };
    // The wrapped model is what callbacks see and save (its state dict has no "module." prefix).
    model = dist.ddp.module;
  }
  const verbose = distributed && distributed.group.rank !== 0 ? 0 : (opts.verbose ?? 1);
  let callbacks = [...(opts.callbacks ?? [])];
  if (verbose > 0 && !callbacks.some((c) => c instanceof ProgressBar)) callbacks.unshift(new ProgressBar({ live: verbose === 1 ? undefined : false }));
  if (distributed) callbacks = callbacksForRank(callbacks, distributed.group.rank);

  const ctx: FitContext = {
    model, optimizer: opts.optimizer, epochs: opts.epochs, stepsPerEpoch: trainLoader.length, initialEpoch: 0,
    stopTraining: false, history: {}, extraState: {}, verbose, trainLoader,
  };
  if (opts.resumeFrom) await resumeCheckpoint(opts.resumeFrom, ctx, trainLoader);

  const penalty = makePenalty(model, opts.regularization);
  // The fused copy shares every parameter and buffer with `model`; callbacks see `model` itself.
  const net = opts.fuse === false ? model : fuse(model);
  if (opts.compile !== undefined && typeof opts.compile !== "boolean") throw new TypeError(`fit: compile must be true or false, got ${String(opts.compile)}`);
  if (opts.compile === true && distributed) throw new Error("fit: compile is not supported with a DistributedDataParallel model yet");
  const plain = trainStep(net, lossFn, opts, penalty, !distributed);
  const step = opts.compile === true ? compile(plain) : plain;
  await runHook(callbacks, "onTrainBegin", {}, ctx);
  for (let epoch = ctx.initialEpoch; epoch < opts.epochs && !ctx.stopTraining; epoch++) {
    await runHook(callbacks, "onEpochBegin", epoch, {}, ctx);
    distributed?.sampler?.setEpoch(epoch);
    const logs = await trainEpoch(epoch, net, trainLoader, step, opts, metrics, callbacks, ctx, distributed ?? undefined);
    if (valLoader) {
      const val = evaluateLoader(net, valLoader, lossFn, metrics.map((m) => m));
      // Every rank evaluates the whole validation set; averaging keeps them equal when per-rank batch norm statistics differ.
      if (distributed) await averageLogs(distributed.group, val, 1);
      for (const [k, v] of Object.entries(val)) logs[`val_${k}`] = v;
    }
    logs.lr = opts.optimizer.paramGroups[0].lr; // the rate this epoch used (Keras logs it so); schedules step after
    for (const [k, v] of Object.entries(logs)) (ctx.history[k] ??= []).push(v);
    (ctx.history.epoch ??= []).push(epoch);
    await runHook(callbacks, "onEpochEnd", epoch, logs, ctx);
    // Callbacks may add keys (lr after a schedule): keep the history in step with the logs.
    for (const [k, v] of Object.entries(logs)) {
      const h = (ctx.history[k] ??= []);
      if (h.length < ctx.history.epoch.length) h.push(v);
      else h[h.length - 1] = v;
    }
  }
  await runHook(callbacks, "onTrainEnd", {}, ctx);
  model.train(net.training);
  // What diagnose() needs to read the curves right (dropout, weight decay, a penalty), kept off the keys.
  Object.defineProperty(ctx.history, HISTORY_INFO, { value: trainingInfo(model, opts.optimizer, { penalty: opts.regularization !== undefined }), enumerable: false });
  return ctx.history;
}

/**
 * One epoch. Under DistributedDataParallel (`dist`) this rank's shard: the gradients are averaged
 * over the ranks between backward and the clipping/step, and the epoch's loss and metrics are
 * averaged over the ranks (weighted by each rank's samples); batch logs (onBatchEnd) stay this rank's.
 */
async function trainEpoch(
  epoch: number, model: Module, loader: ReturnType<typeof toLoader>, step: TrainStep, opts: FitOptions, metrics: Metric[],
  callbacks: Callback[], ctx: FitContext, dist?: DistributedFit,
): Promise<Logs> {
  model.train();
  for (const m of metrics) m.reset();
  const wantsBatchLogs = callbacks.some((c) => typeof c.onBatchEnd === "function");
  // Resuming from a checkpoint written between steps: the same shuffle, continued after its batch.
  const resume = ctx.position?.epoch === epoch ? ctx.position : undefined;
  if (resume?.loaderState) loader.generator.setState(resume.loaderState);
  const loaderState = loader.generator.getState();
  let lossSum = resume?.lossSum ?? 0, seen = resume?.seen ?? 0, batch = resume?.batch ?? 0;
  ctx.position = { epoch, batch, batchLoss: NaN, lossSum, seen, loaderState };
  for (const [x, y] of batchesFrom(loader, batch)) {
    const n = x.shape[0];
    const lossValue = tidy(() => {
      const [loss, out] = step(x, y);
      const detached = out.detach();
      for (const m of metrics) m.update(detached, y);
      return loss.item();
    });
    x.dispose();
    y.dispose();
    if (dist) {
      await dist.ddp.syncGradients();
      tidy(() => clipAndStep(opts));
    }
    lossSum += lossValue * n;
    seen += n;
    ctx.position = { epoch, batch: batch + 1, batchLoss: lossValue, lossSum, seen, loaderState };
    if (wantsBatchLogs) await runHook(callbacks, "onBatchEnd", batch, currentLogs(lossSum / seen, metrics), ctx);
    batch++;
  }
  ctx.position = undefined;
  const logs = currentLogs(seen > 0 ? lossSum / seen : NaN, metrics);
  if (dist) await averageLogs(dist.group, logs, seen);
  return logs;
}

type TrainStep = (x: Tensor, y: Tensor) => [Tensor, Tensor];

/** Clip the gradients as asked and update the parameters. */
function clipAndStep(opts: FitOptions): void {
  // Read per step: a callback may add a parameter group (fine-tuning unfreezes layers).
  const params = opts.optimizer.paramGroups.flatMap((g) => g.params);
  if (opts.clipGradNorm !== undefined) clipGradNorm(params, opts.clipGradNorm);
  if (opts.clipGradValue !== undefined) clipGradValue(params, opts.clipGradValue);
  opts.optimizer.step();
}

/**
 * One training step on a batch: the loss (with any penalty) and the model's output. With
 * `update` false (DistributedDataParallel: the all-reduce is asynchronous) the clipping and the
 * optimizer step are left to the caller, after the gradients are synchronised.
 */
function trainStep(model: Module, lossFn: LossFn, opts: FitOptions, penalty: ((m: Module) => Tensor) | null, update: boolean): TrainStep {
  return (x, y) => {
    opts.optimizer.zeroGrad();
    const out = model.forward(x) as Tensor;
    let loss = lossFn(out, y);
    if (penalty) loss = add(loss, penalty(model));
    loss.backward();
    if (update) clipAndStep(opts);
    return [loss, out];
  };
}

/** The loader's batches of one epoch from batch `start` on (the shuffle is drawn whole, the skipped batches are not read). */
function* batchesFrom(loader: ReturnType<typeof toLoader>, start: number): Generator<[Tensor, Tensor]> {
  if (start === 0) {
    yield* loader as Iterable<[Tensor, Tensor]>;
    return;
  }
  const order = loader.order();
  for (let from = start * loader.batchSize; from < order.length; from += loader.batchSize) {
    const indices = order.slice(from, from + loader.batchSize);
    if (loader.dropLast && indices.length < loader.batchSize) return;
    yield loader.batch(indices) as [Tensor, Tensor];
  }
}

export function currentLogs(loss: number, metrics: Metric[]): Logs {
  const logs: Logs = { loss };
  for (const m of metrics) {
    const v = m.compute();
    if (typeof v === "number") logs[m.name] = v;
  }
  return logs;
}

function makePenalty(model: Module, reg: FitOptions["regularization"]): ((m: Module) => Tensor) | null {
  if (reg === undefined) return null;
  if (typeof reg === "function") return reg;
  const { l1 = 0, l2 = 0 } = reg;
  if (l1 < 0 || l2 < 0) throw new RangeError(`fit: regularization strengths must be non-negative, got l1=${l1}, l2=${l2}`);
  // Penalise weights, not biases or normalisation gains (parameters of one dimension).
  const weights = () => model.parameters().filter((p) => p.ndim > 1 && p.requiresGrad);
  return () => {
    const terms: Tensor[] = [];
    if (l1 > 0) terms.push(l1Penalty(weights(), l1));
    if (l2 > 0) terms.push(l2Penalty(weights(), l2));
    return terms.length === 1 ? terms[0] : add(terms[0], terms[1]);
  };
}
