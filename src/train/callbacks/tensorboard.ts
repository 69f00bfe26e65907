// TensorBoard: Keras' callback of that name for nb.fit. Epoch logs become scalars named as Keras
// names them ("epoch_loss", "epoch_accuracy", "epoch_learning_rate") in the runs <logDir>/train
// and <logDir>/validation (val_ keys, prefix dropped), so TensorBoard draws training and
// validation on one chart; weight histograms every `histogramFreq` epochs; per-batch scalars
// ("batch_loss") when `updateFreq` asks for them.

import { join } from "node:path";
import { SummaryWriter } from "../../io/tensorboard/summary-writer.js";
import { checkOptions, describe, optionNames } from "../../core/options.js";
import type { Callback, FitContext, Logs } from "./callback.js";

export interface TensorBoardOptions {
  /** The run's folder (default "logs", as Keras); train/ and validation/ are written inside. */
  logDir?: string;
  /** Write a histogram of every parameter every this many epochs (default 0: never). */
  histogramFreq?: number;
  /** "epoch" (default): scalars once per epoch; "batch" or N: also the running batch logs every N batches. */
  updateFreq?: "epoch" | "batch" | number;
}

export const TENSORBOARD_OPTIONS = optionNames<TensorBoardOptions>({ logDir: 1, histogramFreq: 1, updateFreq: 1 });

/** Keras' scalar names: our log key "lr" is Keras' "learning_rate". */
const scalarName = (key: string): string => (key === "lr" ? "learning_rate" : key);

export class TensorBoard implements Callback {
  /** Only rank 0 of a distributed fit writes (nb.fit leaves this callback out on the other ranks). */
  readonly rankZeroOnly = true;
  readonly logDir: string;
  readonly histogramFreq: number;
  /** Batches between batch-level scalars, or 0 for epoch-level only. */
  readonly batchEvery: number;
  private train: SummaryWriter | null = null;
  private validation: SummaryWriter | null = null;
  private epoch = 0;

  /** `new TensorBoard("runs/exp1")` or `new TensorBoard({ logDir, histogramFreq, updateFreq })`. */
  constructor(logDirOrOptions: string | TensorBoardOptions = {}, opts: Omit<TensorBoardOptions, "logDir"> = {}) {
    const o: TensorBoardOptions = typeof logDirOrOptions === "string" ? { ...opts, logDir: logDirOrOptions } : logDirOrOptions;
    checkOptions("TensorBoard", o, TENSORBOARD_OPTIONS);
    if (typeof logDirOrOptions !== "string") checkOptions("TensorBoard", opts, TENSORBOARD_OPTIONS);
    const { logDir = "logs", histogramFreq = 0, updateFreq = "epoch" } = o;
    if (typeof logDir !== "string" || logDir.length === 0) throw new TypeError(`TensorBoard: logDir must be a non-empty string, got ${describe(logDir)}`);
    if (!(Number.isInteger(histogramFreq) && histogramFreq >= 0)) throw new RangeError(`TensorBoard: histogramFreq must be a whole number of epochs (0: no histograms), got ${describe(histogramFreq)}`);
    if (updateFreq === "epoch") this.batchEvery = 0;
    else if (updateFreq === "batch") this.batchEvery = 1;
    else if (Number.isInteger(updateFreq) && (updateFreq as number) >= 1) this.batchEvery = updateFreq as number;
    else throw new RangeError(`TensorBoard: updateFreq must be "epoch", "batch" or a positive number of batches, got ${describe(updateFreq)}`);
    this.logDir = logDir;
    this.histogramFreq = histogramFreq;
  }

  onTrainBegin(): void {
    this.train = new SummaryWriter(join(this.logDir, "train"));
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  onBatchEnd(batch: number, logs: Logs, ctx: FitContext): void {
    if (this.batchEvery === 0 || !this.train) return;
    // Steps count batches across epochs (so a resumed run continues the curve).
    const step = this.epoch * ctx.stepsPerEpoch + batch;
    if (step % this.batchEvery !== 0) return;
    for (const [k, v] of Object.entries(logs)) this.train.addScalar(`batch_${scalarName(k)}`, v, step);
  }

  async onEpochEnd(epoch: number, logs: Logs, ctx: FitContext): Promise<void> {
    const train = (this.train ??= new SummaryWriter(join(this.logDir, "train")));
    for (const [k, v] of Object.entries(logs)) {
      if (k.startsWith("val_")) {
        this.validation ??= new SummaryWriter(join(this.logDir, "validation"));
        this.validation.addScalar(`epoch_${scalarName(k.slice(4))}`, v, epoch);
      } else {
        train.addScalar(`epoch_${scalarName(k)}`, v, epoch);
      }
    }
    if (this.histogramFreq > 0 && epoch % this.histogramFreq === 0) {
      // Read asynchronously: a CUDA tensor cannot be read synchronously.
      for (const [name, p] of ctx.model.namedParameters()) {
        const values = await p.data();
        if (values.length > 0) train.addHistogram(name.replace(/\./g, "/"), values, epoch);
      }
    }
    // An epoch is a natural checkpoint: make it visible to a running TensorBoard now.
    train.flush();
    this.validation?.flush();
  }

  onTrainEnd(): void {
    const writers = [this.train, this.validation];
    this.train = this.validation = null;
    for (const w of writers) w?.close();
  }
}
