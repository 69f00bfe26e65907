// What a search scores each trial with. Either a function of the trial's params that trains
// however it likes and returns a validation score, or a description of an nb.fit run:
//
//   nb.tune.gridSearch(space, async (p) => { ...train...; return valAccuracy; }, { mode: "max" })
//   nb.tune.gridSearch(space, { build: (p) => makeModel(p.dropout), train, validation, epochs: 5,
//                               loss: "crossEntropy", metrics: ["accuracy"], metric: "val_accuracy" })

import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { Metric } from "../metrics/metric.js";
import { type FitOptions, type History, fit } from "../train/fit.js";
import type { DataSource } from "../train/data-source.js";
import type { LossSpec } from "../train/loss-fn.js";
import { type Built, describeValue, resolveBuilt } from "../train/model-builder.js";
import { optimizerByName } from "./optimizer-by-name.js";

export type Mode = "min" | "max";

/** What the trial function learns about its trial. */
export interface TrialInfo {
  /** 0-based position of the trial in the search. */
  index: number;
  /** Derived from the search's seed (undefined without one); the global generator is already seeded with it. */
  seed?: number;
}

/** A trial's outcome: its score, or the score with the training history and anything else to keep. */
export type TrialOutcome = number | { score: number; history?: History };

/** The simplest objective: train with these params and return a validation score. */
export type TrialFunction<P> = (params: P, info: TrialInfo) => TrialOutcome | Promise<TrialOutcome>;

/**
 * An objective that nb.tune runs with nb.fit. The trial's params may also set fit options:
 * `batchSize` and `epochs` are used when present, and when `build` returns just a Module the
 * optimizer is made from `optimizer` (a name: "adam", "sgd", ...; default "adam"), `lr`, `momentum`
 * and `weightDecay` (or by the `optimizer` factory given here).
 */
export interface FitObjective<P> {
  build(params: P): Built;
  train: DataSource;
  validation?: DataSource;
  validationSplit?: number;
  /** Epochs per trial (params.epochs overrides). */
  epochs?: number;
  /** Default 32 (params.batchSize overrides). */
  batchSize?: number;
  loss: LossSpec;
  metrics?: (string | Metric)[];
  /** The history key scored (default "val_loss"). */
  metric?: string;
  /** Whether lower or higher is better; default "min" when the metric's name contains "loss", else "max". */
  mode?: Mode;
  /** Score the best epoch (default, as Keras Tuner) or the last one. */
  scoreEpoch?: "best" | "last";
  /** Makes the optimizer when build returns just a Module (instead of params.optimizer's name). */
  optimizer?: (model: Module, params: P) => Optimizer;
  /** Further nb.fit options for every trial (callbacks, clipGradNorm, regularization, verbose, ...). */
  fitOptions?: Partial<Omit<FitOptions, "train" | "validation" | "validationSplit" | "optimizer" | "loss" | "metrics">>;
}

export interface ResolvedObjective<P> {
  run(params: P, info: TrialInfo): Promise<{ score: number; history?: History }>;
  mode: Mode;
  /** What the score is (the fit form's metric), for reports. */
  metric: string;
}

/** Keras' "auto" mode: losses and errors go down, everything else up. */
export function autoMode(metric: string): Mode {
  return /loss|error|mse|mae/i.test(metric) ? "min" : "max";
}

export function resolveObjective<P>(objective: unknown, mode: Mode | undefined, where: string): ResolvedObjective<P> {
  if (mode !== undefined && mode !== "min" && mode !== "max") throw new RangeError(`${where}: mode must be "min" or "max", got ${describeValue(mode)}`);
  if (typeof objective === "function") {
    const fn = objective as TrialFunction<P>;
    return { mode: mode ?? "max", metric: "score", run: async (params, info) => outcome(await fn(params, info), where) };
  }
  if (objective && typeof objective === "object" && typeof (objective as FitObjective<P>).build === "function") {
    return fitObjective(objective as FitObjective<P>, mode, where);
  }
  throw new TypeError(`${where}: the objective must be a function (params) => score or { build, train, validation, epochs, loss, metric }, got ${describeValue(objective)}`);
}

function outcome(v: unknown, where: string): { score: number; history?: History } {
  if (typeof v === "number") return { score: v };
  if (v && typeof v === "object" && typeof (v as { score?: unknown }).score === "number") return v as { score: number; history?: History };
  throw new TypeError(`${where}: the objective must return a number (the trial's score) or { score, history }, got ${describeValue(v)}`);
}

function fitObjective<P>(spec: FitObjective<P>, modeOption: Mode | undefined, where: string): ResolvedObjective<P> {
  const metric = spec.metric ?? "val_loss";
  const mode = spec.mode ?? modeOption ?? autoMode(metric);
  if (mode !== "min" && mode !== "max") throw new RangeError(`${where}: mode must be "min" or "max", got ${describeValue(mode)}`);
  const scoreEpoch = spec.scoreEpoch ?? "best";
  if (scoreEpoch !== "best" && scoreEpoch !== "last") throw new RangeError(`${where}: scoreEpoch must be "best" or "last", got ${describeValue(scoreEpoch)}`);
  if (spec.train === undefined) throw new TypeError(`${where}: the fit objective needs train data`);
  if (metric.startsWith("val_") && spec.validation === undefined && spec.validationSplit === undefined) {
    throw new RangeError(`${where}: metric "${metric}" is measured on validation data; give validation or validationSplit`);
  }
  const run = async (params: P, info: TrialInfo) => {
    const p = params as Record<string, unknown>;
    const built = spec.build(params);
    const factory = spec.optimizer
      ? (m: Module) => spec.optimizer!(m, params)
      : (m: Module) => optimizerByName(p.optimizer ?? "adam", m, { lr: num(p.lr), momentum: num(p.momentum), weightDecay: num(p.weightDecay) }, where);
    const { model, optimizer } = resolveBuilt(built, factory, where);
    const epochs = num(p.epochs) ?? spec.epochs;
    if (epochs === undefined) throw new TypeError(`${where}: give epochs in the fit objective or the space`);
    const history = await fit(model, {
      verbose: 0, seed: info.seed, ...spec.fitOptions,
      train: spec.train, validation: spec.validation, validationSplit: spec.validationSplit,
      epochs, batchSize: num(p.batchSize) ?? spec.batchSize, optimizer, loss: spec.loss, metrics: spec.metrics,
    });
    const series = history[metric];
    if (!series) {
      const keys = Object.keys(history).filter((key) => key !== "epoch").join(", ");
      throw new RangeError(`${where}: metric "${metric}" is not in the training history (it has ${keys}); add it to metrics or pick one of those`);
    }
    return { score: scoreOf(series, mode, scoreEpoch), history };
  };
  return { run, mode, metric };
}

function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

function scoreOf(series: number[], mode: Mode, which: "best" | "last"): number {
  if (which === "last") return series[series.length - 1];
  const finite = series.filter((v) => !Number.isNaN(v));
  if (finite.length === 0) return NaN;
  return mode === "min" ? Math.min(...finite) : Math.max(...finite);
}
