// nb.ensemble: ensembles of classifiers — bagging on bootstrap samples, soft or hard voting.
export { Ensemble, type EnsembleOptions, type EnsemblePredictOptions, type EnsembleEvaluateOptions, type Vote } from "./ensemble.js";
export { bagging, BaggedEnsemble, type BaggingOptions } from "./bagging.js";
export { bootstrapIndices } from "./bootstrap.js";
