// The base of the epoch-driven learning-rate schedulers (torch.optim.lr_scheduler.LRScheduler).
// A scheduler writes `lr` into the optimizer's parameter groups each time step() is called; most
// compute the new lr from the current one ("chainable" form), so two schedulers on one optimizer
// compose multiplicatively and the values equal torch's epoch by epoch.

import { Optimizer, type ParamGroup } from "../optimizer.js";
import { describe, resolveOptions } from "../checks.js";
import { stateDictFromJSON } from "../serialize.js";
import { effectful } from "../../graph/recorder.js";

/** Any optimizer (schedulers only read and write group options). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptimizer = Optimizer<any>;

/** A scheduler's state: its own fields by name (numbers and arrays of numbers). */
export type SchedulerStateDict = Record<string, unknown>;

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** Each group's lr at the start of the schedule (its `initialLr`). */
  baseLrs: number[];
  /** How many times step() has run (−1 before the initial step the constructor makes). */
  lastEpoch: number;
  /** torch's _step_count (CosineAnnealingLR's resume branch reads it). */
  protected stepCount = 0;
  protected lastLr: number[] = [];

  /**
   * Subclass constructors set their fields, then call initialStep() (torch's base constructor
   * does the initial step itself; here the subclass fields must exist first).
   * @param lastEpoch −1 to start a schedule; an epoch to resume at, in which case every group
   *   must already have `initialLr` (restored with the optimizer's state dict).
   */
  constructor(optimizer: AnyOptimizer, lastEpoch = -1) {
    const owner = this.constructor.name;
    if (!(optimizer instanceof Optimizer)) {
      throw new TypeError(`${owner}: expected an optimizer (nb.optim.SGD, Adam, ...), got ${describe(optimizer)}`);
    }
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) throw new RangeError(`${owner}: lastEpoch must be an integer >= -1, got ${describe(lastEpoch)}`);
    this.optimizer = optimizer;
    const groups = optimizer.paramGroups as ParamGroup[];
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new Error(`${owner}: parameter group ${i} has no initialLr, needed to resume at lastEpoch ${lastEpoch}; load the optimizer's state dict first`);
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  protected get groups(): ParamGroup[] {
    return this.optimizer.paramGroups as ParamGroup[];
  }

  /** The lrs for the epoch just entered (this.lastEpoch), usually from the current ones. */
  protected abstract getLr(): number[];

  /** The lrs at this.lastEpoch computed from baseLrs alone, where the schedule has a closed form. */
  protected closedFormLr?(): number[];

  /** torch's _initial_step: the constructor's step to epoch 0 (SequentialLR restarts with it). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advance one epoch (or one batch, for per-batch schedules) and set the groups' lr. */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    this.apply(this.getLr());
  }

  /**
   * Jump to an epoch using the closed form where there is one (torch's deprecated step(epoch);
   * SequentialLR uses it to restart a scheduler at its milestone).
   */
  stepTo(epoch: number): void {
    this.stepCount++;
    this.lastEpoch = epoch;
    this.apply(this.closedFormLr ? this.closedFormLr() : this.getLr());
  }

  private apply(values: number[]): void {
    this.groups.forEach((g, i) => {
      g.lr = values[i];
    });
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** The lr of each group as last set by this scheduler. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's fields (not the optimizer): plain numbers and arrays, JSON-ready. */
  stateDict(): SchedulerStateDict {
    return ownState(this, ["optimizer"]);
  }

  loadStateDict(stateDict: SchedulerStateDict): void {
    loadOwnState(this, stateDict, ["optimizer"]);
  }
}

/** Copies of an object's own data fields, except those named. */
export function ownState(obj: object, exclude: string[]): SchedulerStateDict {
  const out: SchedulerStateDict = {};
  for (const [k, v] of Object.entries(obj)) {
    if (exclude.includes(k) || typeof v === "function") continue;
    out[k] = structuredClone(v);
  }
  return out;
}

/** Restore fields saved by ownState (or their JSON form); unknown keys are an error. */
export function loadOwnState(obj: object, stateDict: SchedulerStateDict, exclude: string[]): void {
  const owner = `${obj.constructor.name}.loadStateDict`;
  const sd = stateDictFromJSON<SchedulerStateDict>(stateDict);
  if (sd === null || typeof sd !== "object" || Array.isArray(sd)) throw new TypeError(`${owner}: expected the object stateDict() returned, got ${describe(sd)}`);
  const target = obj as Record<string, unknown>;
  const unknown = Object.keys(sd).filter((k) => exclude.includes(k) || !Object.prototype.hasOwnProperty.call(obj, k));
  if (unknown.length) throw new Error(`${owner}: unexpected keys ${unknown.join(", ")} (is it the state of another kind of scheduler?)`);
  for (const [k, v] of Object.entries(sd)) target[k] = structuredClone(v);
}

/** Merge scheduler options over defaults, rejecting unknown keys (torch's snake_case gets a hint). */
export function schedulerOptions<O extends object>(owner: string, given: Partial<O> | undefined, defaults: O): O {
  return resolveOptions(owner, given, defaults);
}

/** A positive integer option. */
export function positiveInt(owner: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new RangeError(`${owner}: ${name} must be a positive integer, got ${describe(v)}`);
  return v;
}

/** A finite number option, optionally bounded below. */
export function finite(owner: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new RangeError(`${owner}: ${name} must be a finite number${min > -Infinity ? ` >= ${min}` : ""}, got ${describe(v)}`);
  }
  return v;
}

// Graph capture (nb.compile) records a scheduler step as an effect and calls it again on replay.
LRScheduler.prototype.step = effectful("scheduler.step", LRScheduler.prototype.step);
