// nb.callbacks
export { type Callback, type FitContext, type Logs } from "./callback.js";
export { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping.js";
export { ModelCheckpoint, type ModelCheckpointOptions } from "./model-checkpoint.js";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./reduce-lr-on-plateau.js";
export { LearningRateScheduler } from "./learning-rate-scheduler.js";
export { CSVLogger, type CSVLoggerOptions } from "./csv-logger.js";
export { ProgressBar, type ProgressBarOptions } from "./progress-bar.js";
export { TensorBoard, type TensorBoardOptions } from "./tensorboard.js";
export { TerminateOnNaN, NonFiniteLossError } from "./terminate-on-nan.js";
