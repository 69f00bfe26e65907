// CosineAnnealingLR: cosine decay from the initial lr to etaMin over tMax epochs.

import { type AnyOptimizer, LRScheduler, finite, positiveInt, schedulerOptions } from "./lr-scheduler.js";

export interface CosineAnnealingLROptions {
  /** Epochs of a half cosine period (required). */
  tMax: number;
  /** Minimum lr (default 0). */
  etaMin?: number;
  lastEpoch?: number;
}

/**
 * lr = etaMin + (initialLr − etaMin)·(1 + cos(π·epoch/tMax))/2 (cosine decay; SGDR
 * without restarts). Like torch it is computed recursively from the current lr, so its values
 * equal torch's epoch by epoch, it composes with other schedulers, and past tMax it climbs back
 * up along the same cosine.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: AnyOptimizer, options: CosineAnnealingLROptions) {
    const o = schedulerOptions("CosineAnnealingLR", options, { tMax: undefined as unknown as number, etaMin: 0, lastEpoch: -1 });
    super(optimizer, o.lastEpoch);
    this.tMax = positiveInt("CosineAnnealingLR", "tMax", o.tMax);
    this.etaMin = finite("CosineAnnealingLR", "etaMin", o.etaMin, 0);
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (e === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) {
      // Constructed to resume part-way: the closed form.
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if ((e - 1 - T) % (2 * T) === 0) {
      // The trough: the recursive ratio below would divide by zero.
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groups.map(
      (g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}
