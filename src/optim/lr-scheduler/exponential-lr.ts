// ExponentialLR: multiply the lr by gamma every epoch.

import { type AnyOptimizer, LRScheduler, finite, schedulerOptions } from "./lr-scheduler.js";

export interface ExponentialLROptions {
  /** Factor applied every epoch (required). */
  gamma: number;
  lastEpoch?: number;
}

/** lr = initialLr · gamma^epoch (exponential decay). */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, options: ExponentialLROptions) {
    const o = schedulerOptions("ExponentialLR", options, { gamma: undefined as unknown as number, lastEpoch: -1 });
    super(optimizer, o.lastEpoch);
    this.gamma = finite("ExponentialLR", "gamma", o.gamma, 0);
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}
