// LearningRateScheduler: set the learning rate at the start of every epoch, from a function of
// the epoch or from an nb.optim.lrScheduler stepped once per epoch.

import { type Callback, type FitContext, type Logs } from "./callback.js";

interface EpochScheduler {
  step(metric?: number): void;
  getLastLr(): number[];
  stateDict?(): unknown;
  loadStateDict?(s: never): void;
}

export class LearningRateScheduler implements Callback {
  constructor(readonly schedule: ((epoch: number, lr: number) => number) | EpochScheduler) {
    if (typeof schedule !== "function" && typeof (schedule as EpochScheduler)?.step !== "function") {
      throw new TypeError("LearningRateScheduler: expected a function (epoch, lr) => lr or an lr scheduler with step()");
    }
  }

  onTrainBegin(_logs: Logs, ctx: FitContext): void {
    const saved = ctx.extraState.LearningRateScheduler;
    if (saved !== undefined && typeof this.schedule !== "function" && this.schedule.loadStateDict) {
      this.schedule.loadStateDict(saved as never);
    }
  }

  onEpochBegin(epoch: number, _logs: Logs, ctx: FitContext): void {
    if (typeof this.schedule !== "function") return;
    for (const g of ctx.optimizer.paramGroups) {
      const lr = this.schedule(epoch, g.lr);
      if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
        throw new RangeError(`LearningRateScheduler: the schedule returned ${lr} for epoch ${epoch}; expected a non-negative number`);
      }
      g.lr = lr;
    }
  }

  onEpochEnd(_epoch: number, logs: Logs, ctx: FitContext): void {
    if (typeof this.schedule === "function") return;
    this.schedule.step();
    if (this.schedule.stateDict) ctx.extraState.LearningRateScheduler = this.schedule.stateDict();
  }
}
