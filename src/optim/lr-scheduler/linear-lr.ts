// LinearLR: scale the lr linearly from startFactor to endFactor over totalIters epochs (warm-up).

import { describe } from "../checks.js";
import { type AnyOptimizer, LRScheduler, positiveInt, schedulerOptions } from "./lr-scheduler.js";

export interface LinearLROptions {
  /** Factor at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor from totalIters on, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs to go from startFactor to endFactor (default 5). */
  totalIters?: number;
  lastEpoch?: number;
}

/**
 * lr = initialLr · (startFactor + (endFactor − startFactor)·min(epoch, totalIters)/totalIters):
 * a warm-up (gradually increase the lr at first) with the defaults; follow it with
 * another schedule through SequentialLR. Computed recursively like torch.
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: AnyOptimizer, options: LinearLROptions = {}) {
    const o = schedulerOptions("LinearLR", options, { startFactor: 1 / 3, endFactor: 1, totalIters: 5, lastEpoch: -1 });
    super(optimizer, o.lastEpoch);
    if (typeof o.startFactor !== "number" || !(o.startFactor > 0 && o.startFactor <= 1)) {
      throw new RangeError(`LinearLR: startFactor must be in (0, 1], got ${describe(o.startFactor)}`);
    }
    if (typeof o.endFactor !== "number" || !(o.endFactor >= 0 && o.endFactor <= 1)) {
      throw new RangeError(`LinearLR: endFactor must be in [0, 1], got ${describe(o.endFactor)}`);
    }
    this.startFactor = o.startFactor;
    this.endFactor = o.endFactor;
    this.totalIters = positiveInt("LinearLR", "totalIters", o.totalIters);
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    if (e === 0) return this.groups.map((g) => g.lr * s);
    if (e > n) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    return this.baseLrs.map((base) => base * (s + ((f - s) * Math.min(n, e)) / n));
  }
}
