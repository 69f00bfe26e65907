// Training as the browser build has it (src/index.browser.ts): train/index.ts without the file
// based parts (checkpoint files, and the ModelCheckpoint, CSVLogger and TensorBoard callbacks).
// fit({resumeFrom}) takes a checkpoint's bytes there.
export { fit, type FitOptions, type History, type Regularization } from "./fit.js";
export { evaluate, predict, type EvaluateOptions, type PredictOptions } from "./evaluate.js";
export { diagnose, trainingInfo, HISTORY_INFO, type Diagnosis, type DiagnosisEvidence, type DiagnoseOptions, type Confidence, type TrainingInfo, type Verdict } from "./diagnose.js";
export * as callbacks from "./callbacks/in-memory.js";
export { trainGan, type TrainGanOptions, type GanHistory, type GanLogs } from "./gan.js";
