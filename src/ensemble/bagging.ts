// nb.ensemble.bagging (bootstrap aggregating): train n models, each on its own bootstrap
// sample of the training set (drawn with replacement), and combine them by averaged probabilities
// or by vote.
//
//   const ens = await nb.ensemble.bagging(() => makeMlp(), train, {
//     n: 5, seed: 1, fitOptions: { epochs: 10, loss: "crossEntropy", optimizer: (m) => new nb.optim.Adam(m.parameters()) },
//   });
//   ens.predict(xTest); await ens.evaluate(test, { metrics: ["accuracy"] });

import { Generator, manualSeed } from "../tensor/random.js";
import { Subset } from "../data/dataset.js";
import { type History, fit } from "../train/fit.js";
import { type DataSource, toDataset } from "../train/data-source.js";
import { checkFitOptions, type CrossValidateFitOptions } from "../train/cross-validate.js";
import { checkOptions, optionNames } from "../core/options.js";
import { type Built, checkSeed, deriveSeed, describeValue, resolveBuilt } from "../train/model-builder.js";
import { formatNumber } from "../train/text-table.js";
import type { Module } from "../nn/module.js";
import { Ensemble, type EnsembleOptions } from "./ensemble.js";
import { bootstrapIndices } from "./bootstrap.js";
import { printLine } from "../core/print-line.js";

export interface BaggingOptions extends EnsembleOptions {
  /** Number of models (at least 1). */
  n: number;
  /** Size of each bootstrap sample as a fraction of the dataset (default 1: as many draws as samples). */
  sampleFraction?: number;
  /**
   * Makes the run reproducible: the bootstrap draws, and before each member nb's global generator
   * (initial weights, dropout) and its shuffling, seeded from (seed, member).
   */
  seed?: number;
  /** nb.fit's options for each member (optimizer as a factory when the builder returns a Module); fit's verbose defaults to 0. */
  fitOptions: CrossValidateFitOptions;
  /** 0 silent; 1 (default) a line per trained member. */
  verbose?: 0 | 1;
}

export const BAGGING_OPTIONS = optionNames<BaggingOptions>({
  n: 1, sampleFraction: 1, seed: 1, fitOptions: 1, verbose: 1, vote: 1, outputs: 1,
});

/** A bagged ensemble: the members, with the bootstrap sample (dataset indices) and history of each. */
export class BaggedEnsemble extends Ensemble {
  constructor(models: readonly Module[], readonly samples: number[][], readonly histories: History[], opts: EnsembleOptions = {}) {
    super(models, opts);
  }
}

export async function bagging(buildModel: (index: number) => Built, data: DataSource, opts: BaggingOptions): Promise<BaggedEnsemble> {
  const where = "bagging";
  if (typeof buildModel !== "function") throw new TypeError(`${where}: buildModel must be a function (index) => model or { model, optimizer }, got ${describeValue(buildModel)}`);
  if (!opts || typeof opts !== "object" || !opts.fitOptions || typeof opts.fitOptions !== "object") {
    throw new TypeError(`${where}: options { n, fitOptions: { epochs, loss, optimizer? } } are required`);
  }
  checkOptions(where, opts, BAGGING_OPTIONS, { n_estimators: "n", nEstimators: "n", max_samples: "sampleFraction", maxSamples: "sampleFraction" });
  checkFitOptions(where, opts.fitOptions);
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new RangeError(`${where}: n (the number of models) must be an integer >= 1, got ${describeValue(opts.n)}`);
  const fraction = opts.sampleFraction ?? 1;
  if (typeof fraction !== "number" || !(fraction > 0) || !Number.isFinite(fraction)) throw new RangeError(`${where}: sampleFraction must be a positive number, got ${describeValue(fraction)}`);
  checkSeed(opts.seed, where);
  const fitOpts = opts.fitOptions;
  if (fitOpts.optimizer !== undefined && typeof fitOpts.optimizer !== "function") {
    throw new TypeError(`${where}: fitOptions.optimizer must be a factory (model) => optimizer, e.g. (m) => new nb.optim.Adam(m.parameters())`);
  }
  const dataset = toDataset(data, where);
  const size = dataset.length;
  if (size === 0) throw new RangeError(`${where}: the dataset is empty`);
  const m = Math.max(1, Math.round(fraction * size));
  const gen = new Generator(opts.seed);
  const verbose = opts.verbose ?? 1;

  const models: Module[] = [], samples: number[][] = [], histories: History[] = [];
  for (let i = 0; i < opts.n; i++) {
    const sample = bootstrapIndices(size, m, gen);
    const runSeed = opts.seed === undefined ? undefined : deriveSeed(opts.seed, i);
    if (runSeed !== undefined) manualSeed(runSeed);
    const { model, optimizer } = resolveBuilt(buildModel(i), fitOpts.optimizer, where);
    const history = await fit(model, { ...fitOpts, verbose: fitOpts.verbose ?? 0, seed: fitOpts.seed ?? runSeed, train: new Subset(dataset, sample), optimizer });
    models.push(model);
    samples.push(sample);
    histories.push(history);
    if (verbose > 0) {
      const distinct = new Set(sample).size;
      const last = Object.entries(history).filter(([k]) => k !== "epoch" && k !== "lr").map(([k, v]) => `${k}: ${formatNumber(v[v.length - 1])}`).join(" - ");
      printLine(`${where}: model ${i + 1}/${opts.n} trained on ${m} bootstrap draws (${distinct} distinct samples) - ${last}`);
    }
  }
  return new BaggedEnsemble(models, samples, histories, { vote: opts.vote, outputs: opts.outputs });
}
