// nb.callbacks: the in-memory ones (also the browser build's) and those that write files.
export * from "./in-memory.js";
export { ModelCheckpoint, type ModelCheckpointOptions } from "./model-checkpoint.js";
export { CSVLogger, type CSVLoggerOptions } from "./csv-logger.js";
export { TensorBoard, type TensorBoardOptions } from "./tensorboard.js";
