// SequentialLR: run schedulers one after another, switching at milestone epochs.

import { describe } from "../checks.js";
import { effectful } from "../../graph/recorder.js";
import { type AnyOptimizer, LRScheduler, type SchedulerStateDict, loadOwnState, ownState, schedulerOptions } from "./lr-scheduler.js";

export interface SequentialLROptions {
  /** The schedulers, all built on this optimizer, in the order they run. */
  schedulers: LRScheduler[];
  /** The epochs at which each next scheduler takes over (one fewer than schedulers). */
  milestones: number[];
  lastEpoch?: number;
}

/**
 * E.g. a 5-epoch LinearLR warm-up then CosineAnnealingLR: warm up, then let it cool
 * down. As in torch, constructing it resets the lr to each group's initialLr and restarts the
 * first scheduler; at a milestone the next scheduler starts from its epoch 0 (its closed form).
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];

  constructor(optimizer: AnyOptimizer, options: SequentialLROptions) {
    const o = schedulerOptions("SequentialLR", options, {
      schedulers: undefined as unknown as LRScheduler[], milestones: undefined as unknown as number[], lastEpoch: -1,
    });
    super(optimizer, o.lastEpoch);
    const { schedulers, milestones } = o;
    if (!Array.isArray(schedulers) || schedulers.length === 0 || schedulers.some((s) => !(s instanceof LRScheduler))) {
      throw new TypeError(`SequentialLR: schedulers must be a non-empty array of lr schedulers (not ReduceLROnPlateau), got ${describe(schedulers)}`);
    }
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: the scheduler at index ${i} belongs to another optimizer; all must share the one passed in`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new RangeError(
        `SequentialLR: expected ${schedulers.length - 1} milestones (one fewer than the ${schedulers.length} schedulers), got ${describe(milestones)}`,
      );
    }
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || m <= 0 || (i > 0 && m <= milestones[i - 1])) {
        throw new RangeError(`SequentialLR: milestones must be increasing positive integers, got ${describe(milestones)}`);
      }
    });
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = o.lastEpoch + 1;
    for (const g of this.groups) g.lr = g.initialLr as number;
    // Undo the initial step each scheduler made when it was built, then restart the first.
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  protected getLr(): number[] {
    return this.groups.map((g) => g.lr);
  }

  override step(): void {
    this.lastEpoch++;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.stepTo(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return { ...ownState(this, ["optimizer", "schedulers"]), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { schedulers, ...own } = stateDict as SchedulerStateDict & { schedulers?: SchedulerStateDict[] };
    if (!Array.isArray(schedulers) || schedulers.length !== this.schedulers.length) {
      throw new Error(`SequentialLR.loadStateDict: expected the states of ${this.schedulers.length} schedulers, got ${describe(schedulers)}`);
    }
    loadOwnState(this, own, ["optimizer", "schedulers"]);
    this.schedulers.forEach((s, i) => s.loadStateDict(schedulers[i]));
  }
}

// Graph capture (nb.compile) records a scheduler step as an effect and calls it again on replay.
SequentialLR.prototype.step = effectful("scheduler.step", SequentialLR.prototype.step);
