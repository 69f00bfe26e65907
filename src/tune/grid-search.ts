// nb.tune.gridSearch: score every combination of the space's values (e.g. all values in a range
// with a step, listed) and rank them.
//
//   const { best, trials } = await nb.tune.gridSearch(
//     { lr: [1e-3, 1e-2], batchSize: [32, 64], optimizer: ["adam", "sgd"] },
//     { build: () => makeModel(), train, validation, epochs: 5, loss: "crossEntropy" },
//   );

import { combinationAt, combinationCount, gridDimensions } from "./grid.js";
import { type FitObjective, type TrialFunction } from "./objective.js";
import { type SearchOptions, type SearchResult, runSearch } from "./search.js";
import { type ParamsOf, type Space } from "./space.js";
import { checkSeed } from "../train/model-builder.js";

export async function gridSearch<S extends Space>(
  space: S,
  objective: TrialFunction<ParamsOf<S>> | FitObjective<ParamsOf<S>>,
  opts: SearchOptions = {},
): Promise<SearchResult<ParamsOf<S>>> {
  const where = "gridSearch";
  const dims = gridDimensions(space, where);
  checkSeed(opts.seed, where);
  const count = combinationCount(dims);
  const paramSets = Array.from({ length: count }, (_, i) => combinationAt(dims, i));
  return runSearch<ParamsOf<S>>(paramSets, objective, opts, opts.seed, where);
}
