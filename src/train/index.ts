// Training on top of nn and optim: fit, evaluate, predict and the callbacks.
export { fit, type FitOptions, type History, type Regularization } from "./fit.js";
export { evaluate, predict, type EvaluateOptions } from "./evaluate.js";
export { writeCheckpoint, restoreCheckpoint } from "./checkpoint.js";
export { diagnose, type Diagnosis, type Verdict } from "./diagnose.js";
export * as callbacks from "./callbacks/index.js";
