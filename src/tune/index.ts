// nb.tune: hyper-parameter search — grid search over lists of values, random search
// over lists and distributions — scored on validation data and ranked best first.
export { gridSearch } from "./grid-search.js";
export { randomSearch, sampleSpace, type RandomSearchOptions } from "./random-search.js";
export { grid } from "./grid.js";
export { uniform, logUniform, choice, intRange, isDistribution, type Distribution, type Space, type SpaceValue, type ParamsOf } from "./space.js";
export { type FitObjective, type TrialFunction, type TrialInfo, type TrialOutcome, type Mode } from "./objective.js";
export { type Trial, type SearchResult, type SearchOptions } from "./search.js";
export { OPTIMIZER_NAMES } from "./optimizer-by-name.js";
