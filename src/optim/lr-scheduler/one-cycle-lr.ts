// OneCycleLR: the 1cycle policy (Smith & Topin), stepped once per batch.

import { describe } from "../checks.js";
import type { ParamGroup } from "../optimizer.js";
import { type AnyOptimizer, LRScheduler, finite, positiveInt, schedulerOptions } from "./lr-scheduler.js";

export interface OneCycleLROptions {
  /** Peak lr, one for all groups or one per group (required). */
  maxLr: number | number[];
  /** Steps in the cycle; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** "cos" (default) or "linear" interpolation between phase ends. */
  annealStrategy?: "cos" | "linear";
  /** Cycle momentum (SGD, RMSprop) or beta1 (Adam family) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the lr peak (default 0.85). */
  baseMomentum?: number | number[];
  /** Momentum at the start and end (default 0.95). */
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to initialLr, then to minLr) instead of two (default false). */
  threePhase?: boolean;
  lastEpoch?: number;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * The lr rises from maxLr/divFactor to maxLr over the first pctStart of the steps, then anneals
 * to initialLr/finalDivFactor (warm-up then cool-down, in one scheduler); momentum (or
 * Adam's beta1) moves the opposite way between maxMomentum and baseMomentum. Call step() after
 * every batch; values equal torch's. Writes initialLr, maxLr, minLr (and maxMomentum,
 * baseMomentum) into each parameter group, as torch does.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly annealStrategy: "cos" | "linear";
  readonly cycleMomentum: boolean;
  /** Whether momentum is the optimizer's beta1 (Adam, AdamW, NAdam) rather than `momentum`. */
  readonly useBeta1: boolean;
  private readonly phases: Phase[];

  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    const owner = "OneCycleLR";
    const o = schedulerOptions(owner, options, {
      maxLr: undefined as unknown as number | number[], totalSteps: undefined as number | undefined, epochs: undefined as number | undefined,
      stepsPerEpoch: undefined as number | undefined, pctStart: 0.3, annealStrategy: "cos" as "cos" | "linear", cycleMomentum: true,
      baseMomentum: 0.85 as number | number[], maxMomentum: 0.95 as number | number[], divFactor: 25, finalDivFactor: 1e4, threePhase: false, lastEpoch: -1,
    });
    // Validate and write the groups' keys before the base constructor reads initialLr.
    const groups = (optimizer as { paramGroups?: ParamGroup[] })?.paramGroups;
    let totalSteps: number;
    if (o.totalSteps !== undefined) totalSteps = positiveInt(owner, "totalSteps", o.totalSteps);
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      totalSteps = positiveInt(owner, "epochs", o.epochs) * positiveInt(owner, "stepsPerEpoch", o.stepsPerEpoch);
    } else throw new RangeError(`${owner}: give totalSteps, or epochs and stepsPerEpoch`);
    if (typeof o.pctStart !== "number" || !(o.pctStart >= 0 && o.pctStart <= 1)) {
      throw new RangeError(`${owner}: pctStart must be a number in [0, 1], got ${describe(o.pctStart)}`);
    }
    if (o.annealStrategy !== "cos" && o.annealStrategy !== "linear") {
      throw new RangeError(`${owner}: annealStrategy must be "cos" or "linear", got ${describe(o.annealStrategy)}`);
    }
    const divFactor = finite(owner, "divFactor", o.divFactor);
    const finalDivFactor = finite(owner, "finalDivFactor", o.finalDivFactor);
    if (divFactor <= 0 || finalDivFactor <= 0) {
      throw new RangeError(`${owner}: divFactor and finalDivFactor must be > 0, got ${divFactor} and ${finalDivFactor}`);
    }
    if (Array.isArray(groups)) {
      const maxLrs = perGroup(owner, "maxLr", o.maxLr, groups.length);
      if (o.lastEpoch === -1) {
        groups.forEach((g, i) => {
          g.initialLr = maxLrs[i] / divFactor;
          g.maxLr = maxLrs[i];
          g.minLr = g.initialLr / finalDivFactor;
        });
      }
    }
    super(optimizer, o.lastEpoch);
    this.totalSteps = totalSteps;
    this.annealStrategy = o.annealStrategy;
    const pct = o.pctStart;
    this.phases = o.threePhase
      ? [
        { endStep: pct * totalSteps - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
        { endStep: 2 * pct * totalSteps - 2, startLr: "maxLr", endLr: "initialLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
        { endStep: totalSteps - 1, startLr: "initialLr", endLr: "minLr", startMomentum: "maxMomentum", endMomentum: "maxMomentum" },
      ]
      : [
        { endStep: pct * totalSteps - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
        { endStep: totalSteps - 1, startLr: "maxLr", endLr: "minLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
      ];
    this.cycleMomentum = o.cycleMomentum;
    const defaults = this.optimizer.defaults as Record<string, unknown>;
    this.useBeta1 = "betas" in defaults;
    if (this.cycleMomentum) {
      if (!("momentum" in defaults) && !this.useBeta1) {
        throw new Error(
          `${owner}: cycleMomentum needs an optimizer with momentum (SGD, RMSprop) or betas (Adam, AdamW, NAdam); ` +
            `${this.optimizer.name} has neither (pass cycleMomentum: false)`,
        );
      }
      const maxMomenta = perGroup(owner, "maxMomentum", o.maxMomentum, this.groups.length);
      const baseMomenta = perGroup(owner, "baseMomentum", o.baseMomentum, this.groups.length);
      if (o.lastEpoch === -1) {
        this.groups.forEach((g, i) => {
          this.setMomentum(g, maxMomenta[i]);
          g.maxMomentum = maxMomenta[i];
          g.baseMomentum = baseMomenta[i];
        });
      }
    }
    this.initialStep();
  }

  private setMomentum(g: ParamGroup, m: number): void {
    if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
    else g.momentum = m;
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === "cos") return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new RangeError(`OneCycleLR: step() called ${stepNum} times, more than totalSteps (${this.totalSteps})`);
    }
    return this.groups.map((g) => {
      let start = 0;
      for (const [i, phase] of this.phases.entries()) {
        if (stepNum <= phase.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - start) / (phase.endStep - start);
          if (this.cycleMomentum) {
            this.setMomentum(g, this.anneal(g[phase.startMomentum] as number, g[phase.endMomentum] as number, pct));
          }
          return this.anneal(g[phase.startLr] as number, g[phase.endLr] as number, pct);
        }
        start = phase.endStep;
      }
      return g.lr; // not reached: the last phase always matches
    });
  }
}

function perGroup(owner: string, name: string, v: unknown, n: number): number[] {
  const list = Array.isArray(v) ? v : [v];
  if (Array.isArray(v) && v.length !== n) throw new RangeError(`${owner}: expected ${n} values for ${name} (one per parameter group), got ${v.length}`);
  list.forEach((x) => finite(owner, name, x));
  return Array.isArray(v) ? [...v] : new Array<number>(n).fill(v as number);
}
