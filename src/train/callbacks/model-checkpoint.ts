// ModelCheckpoint: save a resumable checkpoint every epoch, or only when the monitored value
// improves. `path` may contain {epoch} (1-based), e.g. "runs/a/epoch-{epoch}.safetensors".
// saveFreq: N (Keras' save_freq) also saves every N steps, between two batches: resuming from
// such a checkpoint continues the epoch where it was (same shuffle, RNG and mean loss).

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { save } from "../../io/save-load.js";
import { checkOptions, optionNames } from "../../core/options.js";
import { writeCheckpoint, writeStepCheckpoint } from "../checkpoint.js";
import { type Callback, type FitContext, type Logs, improves, resolveMode } from "./callback.js";

export interface ModelCheckpointOptions {
  path: string;
  monitor?: string;
  saveBestOnly?: boolean;
  mode?: "min" | "max" | "auto";
  /** Write only the model's weights (loadable with nb.load), not a resumable checkpoint. */
  weightsOnly?: boolean;
  /** "epoch" (default): at every epoch's end; a number N: also every N steps (resumable mid-epoch; not with saveBestOnly). */
  saveFreq?: "epoch" | number;
}

export const MODEL_CHECKPOINT_OPTIONS = optionNames<ModelCheckpointOptions>({ path: 1, monitor: 1, saveBestOnly: 1, mode: 1, weightsOnly: 1, saveFreq: 1 });

export class ModelCheckpoint implements Callback {
  /** Only rank 0 of a distributed fit writes (nb.fit leaves this callback out on the other ranks). */
  readonly rankZeroOnly = true;
  readonly path: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly mode: "min" | "max";
  readonly weightsOnly: boolean;
  readonly saveFreq: "epoch" | number;
  best: number;
  /** Paths written so far, in order. */
  readonly saved: string[] = [];

  constructor(opts: ModelCheckpointOptions) {
    checkOptions("ModelCheckpoint", opts, MODEL_CHECKPOINT_OPTIONS, {
      filepath: "path", save_weights_only: "weightsOnly", saveWeightsOnly: "weightsOnly", save_freq: "saveFreq",
    });
    if (!opts || typeof opts.path !== "string" || !opts.path) throw new TypeError("ModelCheckpoint: a path is required, e.g. { path: \"runs/best.safetensors\" }");
    this.path = opts.path;
    this.monitor = opts.monitor ?? "val_loss";
    this.saveBestOnly = opts.saveBestOnly ?? false;
    this.mode = resolveMode(this.monitor, opts.mode ?? "auto");
    this.weightsOnly = opts.weightsOnly ?? false;
    this.best = this.mode === "min" ? Infinity : -Infinity;
    const freq = opts.saveFreq ?? "epoch";
    if (freq !== "epoch" && !(Number.isInteger(freq) && freq >= 1)) throw new RangeError(`ModelCheckpoint: saveFreq must be "epoch" or a positive integer (steps), got ${String(freq)}`);
    if (freq !== "epoch" && this.saveBestOnly) throw new Error("ModelCheckpoint: saveFreq in steps saves the training state as it is; saveBestOnly compares epochs' values (use two ModelCheckpoints)");
    this.saveFreq = freq;
  }

  async onBatchEnd(batch: number, _logs: Logs, ctx: FitContext): Promise<void> {
    if (this.saveFreq === "epoch" || !ctx.position) return;
    const step = ctx.position.epoch * ctx.stepsPerEpoch + batch + 1;
    if (step % this.saveFreq !== 0) return;
    const path = this.path.replace("{epoch}", String(ctx.position.epoch + 1));
    if (this.weightsOnly) await save(ctx.model.stateDict(), path);
    else await writeStepCheckpoint(path, ctx);
    this.saved.push(path);
  }

  onTrainBegin(_logs: Logs, ctx: FitContext): void {
    const saved = ctx.extraState.ModelCheckpoint as { best: number } | undefined;
    if (saved) this.best = saved.best;
    mkdirSync(dirname(this.path), { recursive: true });
  }

  async onEpochEnd(epoch: number, logs: Logs, ctx: FitContext): Promise<void> {
    if (this.saveBestOnly) {
      const value = logs[this.monitor];
      if (value === undefined) {
        throw new Error(`ModelCheckpoint: the monitored value "${this.monitor}" is not among the logs (${Object.keys(logs).join(", ")})`);
      }
      if (!improves(value, this.best, this.mode, 0)) return;
      this.best = value;
    }
    ctx.extraState.ModelCheckpoint = { best: this.best };
    const path = this.path.replace("{epoch}", String(epoch + 1));
    if (this.weightsOnly) await save(ctx.model.stateDict(), path);
    else await writeCheckpoint(path, epoch, ctx, ctx.trainLoader);
    this.saved.push(path);
  }
}
