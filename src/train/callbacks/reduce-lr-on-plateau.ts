// ReduceLROnPlateau as a fit callback: feeds the monitored value to the optimizer-level scheduler
// at the end of every epoch.

import { ReduceLROnPlateau as PlateauScheduler } from "../../optim/lr-scheduler/reduce-lr-on-plateau.js";
import { type Callback, type FitContext, type Logs, resolveMode } from "./callback.js";
import { checkOptions, optionNames } from "../../core/options.js";

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  mode?: "min" | "max" | "auto";
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: "rel" | "abs";
  cooldown?: number;
  minLr?: number;
}

export const REDUCE_LR_ON_PLATEAU_OPTIONS = optionNames<ReduceLROnPlateauOptions>({
  monitor: 1, mode: 1, factor: 1, patience: 1, threshold: 1, thresholdMode: 1, cooldown: 1, minLr: 1,
});

export class ReduceLROnPlateau implements Callback {
  readonly monitor: string;
  private scheduler: PlateauScheduler | null = null;

  constructor(readonly opts: ReduceLROnPlateauOptions = {}) {
    checkOptions("ReduceLROnPlateau", opts, REDUCE_LR_ON_PLATEAU_OPTIONS, { min_delta: "threshold", minDelta: "threshold" });
    this.monitor = opts.monitor ?? "val_loss";
  }

  onTrainBegin(_logs: Logs, ctx: FitContext): void {
    const { monitor: _m, mode, ...rest } = this.opts;
    this.scheduler = new PlateauScheduler(ctx.optimizer, { ...rest, mode: resolveMode(this.monitor, mode ?? "auto") });
    const saved = ctx.extraState.ReduceLROnPlateau;
    if (saved !== undefined) this.scheduler.loadStateDict(saved as never);
  }

  onEpochEnd(_epoch: number, logs: Logs, ctx: FitContext): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new Error(`ReduceLROnPlateau: the monitored value "${this.monitor}" is not among the logs (${Object.keys(logs).join(", ")})`);
    }
    const before = ctx.optimizer.paramGroups[0].lr;
    this.scheduler!.step(value);
    const after = ctx.optimizer.paramGroups[0].lr;
    if (after < before && ctx.verbose > 0) console.log(`ReduceLROnPlateau: learning rate reduced to ${after.toExponential(3)}`);
    ctx.extraState.ReduceLROnPlateau = this.scheduler!.stateDict();
  }
}
