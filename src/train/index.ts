// Training on top of nn and optim: fit, evaluate, predict and the callbacks.
export { fit, type FitOptions, type History, type Regularization } from "./fit.js";
export { evaluate, predict, type EvaluateOptions, type PredictOptions } from "./evaluate.js";
export { writeCheckpoint, restoreCheckpoint } from "./checkpoint.js";
export { diagnose, trainingInfo, HISTORY_INFO, type Diagnosis, type DiagnosisEvidence, type DiagnoseOptions, type Confidence, type TrainingInfo, type Verdict } from "./diagnose.js";
export * as callbacks from "./callbacks/index.js";
export { trainGan, type TrainGanOptions, type GanHistory, type GanLogs } from "./gan.js";
