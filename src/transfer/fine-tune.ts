// Fine-tuning (unfreeze some part of the base model and train the entire model again at a very
// low learning rate): unfreeze, then two optimizer parameter groups — the pretrained
// base at a very low learning rate, the new head at a higher one.

import type { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import type { Optimizer, ParamGroupInput } from "../optim/optimizer.js";
import { findHead, inHead } from "./head.js";
import { type BatchNormMode, unfreeze } from "./freeze.js";

export interface FineTuneOptions {
  /** Learning rate of the pretrained base: very low (e.g. 1e-5 to 1e-4 with Adam). */
  baseLr: number;
  /** Learning rate of the head (default 10 × baseLr). */
  headLr?: number;
  /**
   * What to unfreeze first: true (default) the whole base; module names such as "layer4"; the
   * last n layers of the base (see baseLayers); false to keep the current trainable flags.
   */
  unfreeze?: boolean | string | string[] | number;
  /** Batch norm layers held in inference mode by freeze stay so (default) or train again. */
  batchNorm?: BatchNormMode;
  head?: string;
}

/** fineTune's option names: FineTuneOptions plus the optimizer pair. */
export const FINE_TUNE_OPTIONS = optionNames<FineTuneOptions & { optimizer?: unknown; optimizerOptions?: unknown }>({
  baseLr: 1, headLr: 1, unfreeze: 1, batchNorm: 1, head: 1, optimizer: 1, optimizerOptions: 1,
});

/** The groups fineTune makes: `name` is "base" or "head" (optimizers keep extra keys). */
export type FineTuneGroup = ParamGroupInput<{ lr: number }> & { params: Tensor[]; lr: number; name: "base" | "head" };

/** An optimizer class such as nb.optim.Adam. */
export type OptimizerClass<O extends Optimizer> = new (params: FineTuneGroup[], options?: any) => O;

export function fineTune(model: Module, opts: FineTuneOptions): FineTuneGroup[];
export function fineTune<O extends Optimizer>(model: Module, opts: FineTuneOptions & { optimizer: OptimizerClass<O>; optimizerOptions?: Record<string, unknown> }): O;
/**
 * Unfreeze (all or part of) the base and return parameter groups for an nb.optim constructor —
 * `new nb.optim.Adam(nb.transfer.fineTune(model, { baseLr: 1e-5 }))` — or, given `optimizer`
 * (a class) and `optimizerOptions`, the optimizer itself. Frozen parameters are left out.
 */
export function fineTune<O extends Optimizer>(
  model: Module,
  opts: FineTuneOptions & { optimizer?: OptimizerClass<O>; optimizerOptions?: Record<string, unknown> },
): FineTuneGroup[] | O {
  const where = "fineTune";
  if (!(model instanceof Module)) throw new TypeError(`${where}: model must be an nb.nn.Module`);
  if (opts === null || typeof opts !== "object") throw new TypeError(`${where}: options { baseLr, headLr? } are required`);
  checkOptions(where, opts, FINE_TUNE_OPTIONS, { lr: "baseLr (and headLr)" });
  const checkLr = (name: string, v: unknown): number => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new RangeError(`${where}: ${name} must be a non-negative number, got ${String(v)}`);
    return v;
  };
  const baseLr = checkLr("baseLr", opts.baseLr);
  const headLr = checkLr("headLr", opts.headLr ?? baseLr * 10);
  const head = findHead(model, opts.head, where).name;
  const what = opts.unfreeze ?? true;
  if (what !== false) {
    if (what === true) unfreeze(model, { head, batchNorm: opts.batchNorm });
    else unfreeze(model, { head, only: what, batchNorm: opts.batchNorm });
  }
  const base: Tensor[] = [], headParams: Tensor[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (inHead(name, head)) {
      p.requiresGrad = true;
      headParams.push(p);
    } else if (p.requiresGrad) base.push(p);
  }
  const groups: FineTuneGroup[] = [];
  if (base.length) groups.push({ params: base, lr: baseLr, name: "base" });
  groups.push({ params: headParams, lr: headLr, name: "head" });
  if (opts.optimizer === undefined) return groups;
  if (typeof opts.optimizer !== "function") throw new TypeError(`${where}: optimizer must be an optimizer class such as nb.optim.Adam`);
  return new opts.optimizer(groups, { ...(opts.optimizerOptions ?? {}), lr: headLr });
}
