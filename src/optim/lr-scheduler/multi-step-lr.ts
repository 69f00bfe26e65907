// MultiStepLR: multiply the lr by gamma at each milestone epoch.

import { describe } from "../checks.js";
import { type AnyOptimizer, LRScheduler, finite, schedulerOptions } from "./lr-scheduler.js";

export interface MultiStepLROptions {
  /** Epochs at which to decay (a milestone listed twice decays twice, as in torch). */
  milestones: number[];
  /** Factor applied at each milestone (default 0.1). */
  gamma?: number;
  lastEpoch?: number;
}

/** lr = initialLr · gamma^(number of milestones ≤ epoch), e.g. divide by 10 at epochs 30 and 80. */
export class MultiStepLR extends LRScheduler {
  /** Sorted, repeats kept. */
  readonly milestones: number[];
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, options: MultiStepLROptions) {
    const o = schedulerOptions("MultiStepLR", options, { milestones: undefined as unknown as number[], gamma: 0.1, lastEpoch: -1 });
    super(optimizer, o.lastEpoch);
    if (!Array.isArray(o.milestones) || o.milestones.some((m) => !Number.isInteger(m) || m < 0)) {
      throw new RangeError(`MultiStepLR: milestones must be an array of non-negative integers, got ${describe(o.milestones)}`);
    }
    this.milestones = [...o.milestones].sort((a, b) => a - b);
    this.gamma = finite("MultiStepLR", "gamma", o.gamma, 0);
    this.initialStep();
  }

  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** hits);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }
}
