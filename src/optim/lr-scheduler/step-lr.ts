// StepLR: multiply the lr by gamma every stepSize epochs.

import { type AnyOptimizer, LRScheduler, finite, positiveInt, schedulerOptions } from "./lr-scheduler.js";

export interface StepLROptions {
  /** Epochs between decays (required). */
  stepSize: number;
  /** Factor applied at each decay (default 0.1). */
  gamma?: number;
  /** −1 to start; an epoch to resume at (see LRScheduler). */
  lastEpoch?: number;
}

/**
 * lr = initialLr · gamma^⌊epoch / stepSize⌋ (reduce the learning rate by some factor every
 * few epochs, e.g. halve every 5 epochs: { stepSize: 5, gamma: 0.5 }). Computed from the
 * current lr, like torch, so it chains with other schedulers.
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, options: StepLROptions) {
    const o = schedulerOptions("StepLR", options, { stepSize: undefined as unknown as number, gamma: 0.1, lastEpoch: -1 });
    super(optimizer, o.lastEpoch);
    this.stepSize = positiveInt("StepLR", "stepSize", o.stepSize);
    this.gamma = finite("StepLR", "gamma", o.gamma, 0);
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}
