// The callback protocol of nb.fit, Keras-style: any object with some of these hooks is a callback.
// Each hook also receives the FitContext, through which a callback reads the model and optimizer
// or asks training to stop.

import type { Module } from "../../nn/module.js";
import type { Optimizer } from "../../optim/optimizer.js";
import type { DataLoader } from "../../data/dataloader.js";

/** Metric values by Keras key: loss, accuracy, val_loss, val_accuracy, lr, ... */
export type Logs = Record<string, number>;

export interface FitContext {
  model: Module;
  optimizer: Optimizer;
  /** Total epochs requested and batches per epoch (for progress display). */
  epochs: number;
  stepsPerEpoch: number;
  /** The epoch index training starts at (0, or later when resuming). */
  initialEpoch: number;
  /** Set to true (e.g. by EarlyStopping) to end training after the current epoch. */
  stopTraining: boolean;
  /** Values per epoch so far, by key (the History nb.fit returns). */
  history: Record<string, number[]>;
  /** State a callback wants saved with checkpoints and restored on resume, by callback name. */
  extraState: Record<string, unknown>;
  verbose: number;
  /** The training loader (its shuffling generator is saved in checkpoints). */
  trainLoader?: DataLoader;
  /** Where training stands inside the current epoch, kept by nb.fit after every batch (checkpoints between steps save it). */
  position?: EpochPosition;
}

/** A point between two steps of an epoch: enough to continue it exactly (see writeStepCheckpoint). */
export interface EpochPosition {
  /** The epoch in progress (0-based). */
  epoch: number;
  /** Batches of it done. */
  batch: number;
  /** The loss of the last batch done (NaN before the first). */
  batchLoss: number;
  /** Σ loss·n and n over the batches done: the epoch's mean loss continues from them. */
  lossSum: number;
  seen: number;
  /** The loader's generator state when the epoch began (its shuffle is drawn again from it). */
  loaderState?: { seed: string; offset: string };
}

export interface Callback {
  /** Writes files or the terminal: in a distributed fit (DistributedDataParallel) it runs on rank 0 only. */
  readonly rankZeroOnly?: boolean;
  onTrainBegin?(logs: Logs, ctx: FitContext): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs, ctx: FitContext): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs, ctx: FitContext): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs, ctx: FitContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, ctx: FitContext): void | Promise<void>;
  onTrainEnd?(logs: Logs, ctx: FitContext): void | Promise<void>;
}

type Hook = keyof Callback;

/** Run one hook on every callback in order (awaiting async ones). */
export async function runHook(callbacks: readonly Callback[], hook: Hook, ...args: unknown[]): Promise<void> {
  for (const cb of callbacks) {
    const fn = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof fn === "function") await fn.apply(cb, args);
  }
}

/** Whether a new value improves on the best one, for "min" or "max" monitoring with a margin. */
export function improves(value: number, best: number, mode: "min" | "max", minDelta: number): boolean {
  return mode === "min" ? value < best - minDelta : value > best + minDelta;
}

/** "auto" mode: accuracy-like keys are maximised, everything else (losses) minimised. */
export function resolveMode(monitor: string, mode: "min" | "max" | "auto"): "min" | "max" {
  if (mode !== "auto") return mode;
  return /acc|precision|recall|f1|auc/.test(monitor) ? "max" : "min";
}
