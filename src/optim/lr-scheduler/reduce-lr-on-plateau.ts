// ReduceLROnPlateau: cut the lr when a monitored metric stops improving.

import { Tensor } from "../../tensor/tensor.js";
import { Optimizer, type ParamGroup } from "../optimizer.js";
import { describe } from "../checks.js";
import { effectful } from "../../graph/recorder.js";
import { type AnyOptimizer, type SchedulerStateDict, finite, loadOwnState, ownState, schedulerOptions } from "./lr-scheduler.js";

export interface ReduceLROnPlateauOptions {
  /** "min" (a loss, the default) or "max" (an accuracy). */
  mode?: "min" | "max";
  /** New lr = lr · factor (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before cutting (default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4). */
  threshold?: number;
  /** "rel": better than best·(1 ∓ threshold) (default); "abs": better than best ∓ threshold. */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a cut before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, one for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Cuts smaller than eps are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Cut the lr when the validation loss stops improving (Keras' ReduceLROnPlateau): when the metric
 * passed to step(metric) has not improved for more than `patience` epochs, multiply every group's
 * lr by `factor` (not below minLr), then wait `cooldown` epochs. Behaves exactly like torch's.
 */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  factor: number;
  minLrs: number[];
  patience: number;
  cooldown: number;
  cooldownCounter = 0;
  mode: "min" | "max";
  threshold: number;
  thresholdMode: "rel" | "abs";
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  numBadEpochs = 0;
  eps: number;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const owner = "ReduceLROnPlateau";
    const o = schedulerOptions(owner, options, {
      mode: "min" as "min" | "max", factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: "rel" as "rel" | "abs",
      cooldown: 0, minLr: 0 as number | number[], eps: 1e-8,
    });
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${owner}: expected an optimizer (nb.optim.SGD, Adam, ...), got ${describe(optimizer)}`);
    this.optimizer = optimizer;
    const factor = finite(owner, "factor", o.factor, 0);
    if (factor >= 1) throw new RangeError(`${owner}: factor must be < 1 (the lr is multiplied by it), got ${factor}`);
    this.factor = factor;
    const n = optimizer.paramGroups.length;
    if (Array.isArray(o.minLr)) {
      if (o.minLr.length !== n) throw new RangeError(`${owner}: expected ${n} values for minLr (one per parameter group), got ${o.minLr.length}`);
      this.minLrs = o.minLr.map((v) => finite(owner, "minLr", v, 0));
    } else this.minLrs = new Array<number>(n).fill(finite(owner, "minLr", o.minLr, 0));
    for (const [name, v] of [["patience", o.patience], ["cooldown", o.cooldown]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${owner}: ${name} must be a non-negative integer, got ${describe(v)}`);
    }
    this.patience = o.patience;
    this.cooldown = o.cooldown;
    if (o.mode !== "min" && o.mode !== "max") throw new RangeError(`${owner}: mode must be "min" or "max", got ${describe(o.mode)}`);
    if (o.thresholdMode !== "rel" && o.thresholdMode !== "abs") {
      throw new RangeError(`${owner}: thresholdMode must be "rel" or "abs", got ${describe(o.thresholdMode)}`);
    }
    this.mode = o.mode;
    this.thresholdMode = o.thresholdMode;
    this.threshold = finite(owner, "threshold", o.threshold, 0);
    this.eps = finite(owner, "eps", o.eps, 0);
    this.best = this.modeWorse;
    this.lastLr = this.groups.map((g) => g.lr);
  }

  private get groups(): ParamGroup[] {
    return this.optimizer.paramGroups as ParamGroup[];
  }

  /** The worst possible metric for the mode: where `best` starts. */
  get modeWorse(): number {
    return this.mode === "min" ? Infinity : -Infinity;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Record one epoch's metric (a number or a one-element tensor) and cut the lr if it stalled. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.item() : metric;
    if (typeof current !== "number") throw new TypeError(`ReduceLROnPlateau.step: metric must be a number or a one-element tensor, got ${describe(metric)}`);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.groups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.groups.forEach((g, i) => {
      const old = g.lr;
      const next = Math.max(old * this.factor, this.minLrs[i]);
      if (old - next > this.eps) g.lr = next;
    });
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === "rel" ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Its fields (best may be ±Infinity: use nb.optim.stateDictToJSON before JSON.stringify). */
  stateDict(): SchedulerStateDict {
    return ownState(this, ["optimizer"]);
  }

  loadStateDict(stateDict: SchedulerStateDict): void {
    loadOwnState(this, stateDict, ["optimizer"]);
  }
}

// Graph capture (nb.compile) records a scheduler step as an effect and calls it again on replay.
ReduceLROnPlateau.prototype.step = effectful("scheduler.step", ReduceLROnPlateau.prototype.step);
