// The callbacks that need no file system: everything of nb.callbacks but ModelCheckpoint,
// CSVLogger and TensorBoard. index.ts (Node) adds those; the browser build's nb.callbacks is this.
export { type Callback, type FitContext, type Logs } from "./callback.js";
export { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping.js";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./reduce-lr-on-plateau.js";
export { LearningRateScheduler } from "./learning-rate-scheduler.js";
export { ProgressBar, type ProgressBarOptions } from "./progress-bar.js";
export { TerminateOnNaN, NonFiniteLossError } from "./terminate-on-nan.js";
