// nb.tune.randomSearch: score `trials` parameter sets drawn at random from the space (often
// preferred to grid search) and rank them. Lists are sampled uniformly; distributions
// (uniform, logUniform, choice, intRange) by their law. The draws depend only on the seed.
//
//   await nb.tune.randomSearch(
//     { lr: nb.tune.logUniform(1e-4, 1e-1), dropout: nb.tune.uniform(0, 0.5), batchSize: [32, 64] },
//     objective, { trials: 20, seed: 1 },
//   );

import { Generator } from "../tensor/random.js";
import { type FitObjective, type TrialFunction } from "./objective.js";
import { sampleParams } from "./sample.js";
import { type SearchOptions, type SearchResult, runSearch } from "./search.js";
import { type ParamsOf, type Space, dimensions } from "./space.js";
import { checkSeed } from "../train/model-builder.js";

export interface RandomSearchOptions extends SearchOptions {
  /**
   * How many parameter sets to try (default 10). When every parameter is a list the sets are
   * distinct, so a grid with fewer combinations gives fewer trials.
   */
  trials?: number;
  /** Makes the draws (and each trial's training, see SearchOptions.seed) reproducible. */
  seed?: number;
}

export async function randomSearch<S extends Space>(
  space: S,
  objective: TrialFunction<ParamsOf<S>> | FitObjective<ParamsOf<S>>,
  opts: RandomSearchOptions = {},
): Promise<SearchResult<ParamsOf<S>>> {
  const where = "randomSearch";
  const dims = dimensions(space, where);
  const trials = opts.trials ?? 10;
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`${where}: trials must be a positive integer, got ${String(trials)}`);
  checkSeed(opts.seed, where);
  const paramSets = sampleParams(dims, trials, new Generator(opts.seed));
  return runSearch<ParamsOf<S>>(paramSets, objective, opts, opts.seed, where);
}

/** The parameter sets randomSearch would try with these options, without running anything. */
export function sampleSpace<S extends Space>(space: S, opts: { trials?: number; seed?: number } = {}): ParamsOf<S>[] {
  const dims = dimensions(space, "sampleSpace");
  const trials = opts.trials ?? 10;
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`sampleSpace: trials must be a positive integer, got ${String(trials)}`);
  checkSeed(opts.seed, "sampleSpace");
  return sampleParams(dims, trials, new Generator(opts.seed)) as ParamsOf<S>[];
}
