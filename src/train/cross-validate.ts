// nb.crossValidate: k-fold cross-validation. The data is cut into k folds; for
// each fold a fresh model is built, trained with nb.fit on the other k − 1 folds, and evaluated on
// the held-out fold. The report gives every fold's scores and their mean ± std.
//
//   const cv = await nb.crossValidate(
//     () => new nb.nn.Sequential(new nb.nn.Linear(4, 16), new nb.nn.ReLU(), new nb.nn.Linear(16, 3)),
//     { x, y },
//     { k: 5, seed: 1, fitOptions: { epochs: 20, loss: "crossEntropy", metrics: ["accuracy"],
//                                    optimizer: (m) => new nb.optim.Adam(m.parameters(), { lr: 1e-2 }) } },
//   );
//   cv.mean.accuracy, cv.std.accuracy, cv.folds[2].history.loss, String(cv)

import { Module } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import { manualSeed } from "../tensor/random.js";
import { kFold } from "../data/split.js";
import { Subset } from "../data/dataset.js";
import type { Metric } from "../metrics/metric.js";
import { FIT_ADVICE, FIT_OPTIONS, type FitOptions, type History, fit } from "./fit.js";
import { evaluate } from "./evaluate.js";
import { type DataSource, toDataset } from "./data-source.js";
import { type Built, type OptimizerFactory, checkSeed, deriveSeed, describeValue, resolveBuilt } from "./model-builder.js";
import { formatNumber, formatTable } from "./text-table.js";
import { printLine } from "../core/print-line.js";

/**
 * nb.fit's options for each fold's training, less what crossValidate supplies (the training folds,
 * the held-out fold). `optimizer` is a factory, called with each fold's fresh model when the
 * builder returns just a Module. `validationSplit` still works: it carves an inner validation set
 * (for EarlyStopping, say) out of the training folds, so the held-out fold stays unseen.
 * `verbose` (fit's own output per epoch) defaults to 0 here.
 */
export type CrossValidateFitOptions = Omit<FitOptions, "train" | "validation" | "optimizer"> & { optimizer?: OptimizerFactory };

/** The CrossValidateFitOptions names: fit's, less the data crossValidate supplies. */
export const CROSS_VALIDATE_FIT_OPTIONS: readonly string[] = FIT_OPTIONS.filter((k) => k !== "train" && k !== "validation");
export const CROSS_VALIDATE_FIT_ADVICE: Readonly<Record<string, string>> = {
  ...FIT_ADVICE,
  train: "the data argument (each fold trains on the other folds)",
  validation: "validationSplit (an inner split of the training folds); the held-out fold is scored separately",
};

/** Check fitOptions as crossValidate and bagging take them. */
export function checkFitOptions(where: string, fitOptions: unknown): void {
  checkOptions(`${where}: fitOptions`, fitOptions, CROSS_VALIDATE_FIT_OPTIONS, CROSS_VALIDATE_FIT_ADVICE);
}

export interface CrossValidateOptions {
  /** Number of folds (default 5). Each sample is held out exactly once. */
  k?: number;
  /** Shuffle the samples before cutting the folds (default true); otherwise folds are contiguous. */
  shuffle?: boolean;
  /**
   * Makes the run reproducible: it fixes the fold assignment, and before each fold nb's global
   * generator (initial weights, dropout) and the fold's shuffling are seeded from (seed, fold).
   * Without a seed the folds are still fixed (kFold's default), the initial weights are not.
   */
  seed?: number;
  fitOptions: CrossValidateFitOptions;
  /** Metrics measured on each held-out fold (default: fitOptions.metrics). The loss is always reported. */
  metrics?: (string | Metric)[];
  /** 0 silent; 1 (default) a line per fold as it finishes, then the table of all folds. */
  verbose?: 0 | 1;
}

export const CROSS_VALIDATE_OPTIONS = optionNames<CrossValidateOptions>({ k: 1, shuffle: 1, seed: 1, fitOptions: 1, metrics: 1, verbose: 1 });

export interface FoldResult {
  /** 0-based fold index (the value passed to the builder). */
  fold: number;
  /** Indices (into the dataset) the fold's model was trained on, and the held-out ones it was scored on. */
  trainIndices: number[];
  validationIndices: number[];
  /** nb.fit's history for this fold's training. */
  history: History;
  /** Scores on the held-out fold: `loss` and each metric by its log name (e.g. `accuracy`). */
  metrics: Record<string, number>;
}

export interface CrossValidationResult {
  k: number;
  folds: FoldResult[];
  /** Mean of each score over the k folds. */
  mean: Record<string, number>;
  /** Sample standard deviation (ddof 1, divisor k − 1) of each score over the k folds. */
  std: Record<string, number>;
  /** A table of the folds (numbered 1..k) with a "mean ± std" row. */
  toString(): string;
}

/**
 * k-fold cross-validation. `buildModel(fold)` must return a fresh, untrained model for each fold:
 * `{ model, optimizer }`, or a Module when `fitOptions.optimizer` is a factory. `data` is a
 * Dataset, `{x, y}` tensors, or a DataLoader (its dataset is used; batch size and shuffling come
 * from fitOptions).
 */
export async function crossValidate(
  buildModel: (fold: number) => Built,
  data: DataSource,
  opts: CrossValidateOptions,
): Promise<CrossValidationResult> {
  const where = "crossValidate";
  if (typeof buildModel !== "function") throw new TypeError(`${where}: buildModel must be a function (fold) => model or { model, optimizer }, got ${describeValue(buildModel)}`);
  if (!opts || typeof opts !== "object" || !opts.fitOptions || typeof opts.fitOptions !== "object") {
    throw new TypeError(`${where}: options { fitOptions: { epochs, loss, optimizer? } } are required`);
  }
  checkOptions(where, opts, CROSS_VALIDATE_OPTIONS, { n_splits: "k", nSplits: "k", folds: "k" });
  checkFitOptions(where, opts.fitOptions);
  const dataset = toDataset(data, where);
  const n = dataset.length;
  const k = opts.k ?? 5;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`${where}: k must be an integer >= 2, got ${k}`);
  if (k > n) throw new RangeError(`${where}: k=${k} folds need at least ${k} samples, the dataset has ${n}`);
  checkSeed(opts.seed, where);
  const fitOpts = opts.fitOptions;
  if (fitOpts.optimizer !== undefined && typeof fitOpts.optimizer !== "function") {
    throw new TypeError(`${where}: fitOptions.optimizer must be a factory (model) => optimizer, e.g. (m) => new nb.optim.Adam(m.parameters())`);
  }
  const metrics = opts.metrics ?? fitOpts.metrics ?? [];
  const verbose = opts.verbose ?? 1;
  const splits = kFold(n, k, { shuffle: opts.shuffle ?? true, seed: opts.seed ?? 0 });

  const folds: FoldResult[] = [];
  for (let fold = 0; fold < k; fold++) {
    const { train, validation } = splits[fold];
    const runSeed = opts.seed === undefined ? undefined : deriveSeed(opts.seed, fold);
    if (runSeed !== undefined) manualSeed(runSeed);
    const { model, optimizer } = resolveBuilt(buildModel(fold), fitOpts.optimizer, where);
    const history = await fit(model, {
      ...fitOpts, verbose: fitOpts.verbose ?? 0, seed: fitOpts.seed ?? runSeed,
      train: new Subset(dataset, train), optimizer,
    });
    const scores = await evaluate(model, new Subset(dataset, validation), { loss: fitOpts.loss, metrics, batchSize: fitOpts.batchSize });
    folds.push({ fold, trainIndices: train, validationIndices: validation, history, metrics: scores });
    if (verbose > 0) {
      const line = Object.entries(scores).map(([name, v]) => `${name}: ${formatNumber(v)}`).join(" - ");
      printLine(`${where}: fold ${fold + 1}/${k} (${train.length} train, ${validation.length} held out) - ${line}`);
    }
  }
  const result = summarize(folds);
  if (verbose > 0) printLine(result.toString());
  return result;
}

function summarize(folds: FoldResult[]): CrossValidationResult {
  // Scores every fold has (a metric with no numeric value on some fold is left out of the summary).
  const names = Object.keys(folds[0].metrics).filter((name) => folds.every((f) => typeof f.metrics[name] === "number"));
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const name of names) {
    const values = folds.map((f) => f.metrics[name]);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    mean[name] = m;
    std[name] = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
  }
  return {
    k: folds.length, folds, mean, std,
    toString: () => formatTable(
      ["fold", ...names],
      [
        ...folds.map((f) => [String(f.fold + 1), ...names.map((name) => f.metrics[name])]),
        ["mean ± std", ...names.map((name) => `${formatNumber(mean[name])} ± ${formatNumber(std[name])}`)],
      ],
    ),
  };
}
