// EarlyStopping: stop when a monitored value has not improved for `patience` epochs, and
// optionally put back the weights of the best epoch (stop, and load the best weights saved so
// far).

import type { Tensor } from "../../tensor/tensor.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { keep } from "../../tensor/scope.js";
import { checkOptions, optionNames } from "../../core/options.js";
import { type Callback, type FitContext, type Logs, improves, resolveMode } from "./callback.js";

export interface EarlyStoppingOptions {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: "min" | "max" | "auto";
  restoreBestWeights?: boolean;
  /** Value the monitored metric must beat before patience starts counting. */
  baseline?: number;
}

export const EARLY_STOPPING_OPTIONS = optionNames<EarlyStoppingOptions>({
  monitor: 1, minDelta: 1, patience: 1, mode: 1, restoreBestWeights: 1, baseline: 1,
});

export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: "min" | "max";
  readonly restoreBestWeights: boolean;
  readonly baseline?: number;
  /** Epoch (0-based) at which training was stopped, or -1. */
  stoppedEpoch = -1;
  bestEpoch = -1;
  best = NaN;
  private wait = 0;
  private bestWeights: Map<string, Tensor> | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    checkOptions("EarlyStopping", opts, EARLY_STOPPING_OPTIONS);
    this.monitor = opts.monitor ?? "val_loss";
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.patience = opts.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new RangeError(`EarlyStopping: patience must be a non-negative integer, got ${opts.patience}`);
    this.mode = resolveMode(this.monitor, opts.mode ?? "auto");
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.baseline = opts.baseline;
  }

  onTrainBegin(_logs: Logs, ctx: FitContext): void {
    const saved = ctx.extraState.EarlyStopping as { best: number; bestEpoch: number; wait: number } | undefined;
    this.wait = saved?.wait ?? 0;
    this.best = saved?.best ?? this.baseline ?? (this.mode === "min" ? Infinity : -Infinity);
    this.bestEpoch = saved?.bestEpoch ?? -1;
    this.stoppedEpoch = -1;
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: FitContext): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new Error(`EarlyStopping: the monitored value "${this.monitor}" is not among the logs (${Object.keys(logs).join(", ")}); pass validation data or monitor "loss"`);
    }
    if (improves(value, this.best, this.mode, this.minDelta)) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.snapshot(ctx);
    } else {
      this.wait++;
      if (this.wait >= this.patience) {
        this.stoppedEpoch = epoch;
        ctx.stopTraining = true;
      }
    }
    ctx.extraState.EarlyStopping = { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  onTrainEnd(_logs: Logs, ctx: FitContext): void {
    if (this.restoreBestWeights && this.bestWeights) {
      ctx.model.loadStateDict(this.bestWeights);
      if (ctx.verbose > 0) console.log(`EarlyStopping: restored the weights of epoch ${this.bestEpoch + 1} (${this.monitor} = ${this.best.toPrecision(5)})`);
    }
    if (this.stoppedEpoch >= 0 && ctx.verbose > 0) console.log(`EarlyStopping: stopped after epoch ${this.stoppedEpoch + 1}`);
  }

  private snapshot(ctx: FitContext): void {
    for (const t of this.bestWeights?.values() ?? []) t.dispose();
    this.bestWeights = new Map();
    noGrad(() => {
      for (const [k, t] of ctx.model.stateDict()) this.bestWeights!.set(k, keep(t.detach().clone()));
    });
  }
}
