// Optimizers named in a search space ({ optimizer: ["adam", "sgd"], lr: [...] }), for builders
// that return just a model. nb.optim's registry makes them: the trial's lr, momentum and
// weightDecay are passed when the trial sets them, otherwise each optimizer keeps its own
// (torch) defaults. momentum goes only to the optimizers that have it (sgd, rmsprop).

import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import { create, hasOption, names, resolveName } from "../optim/registry.js";

export const OPTIMIZER_NAMES = Object.freeze(names());

export interface NamedOptimizerOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

export function optimizerByName(name: unknown, model: Module, o: NamedOptimizerOptions, where: string): Optimizer {
  let key: string;
  try {
    key = resolveName(name, where);
  } catch (e) {
    throw new RangeError(`${(e as Error).message} (in the trial's params); or return { model, optimizer } from build`);
  }
  // A grid crosses every optimizer with every momentum: those without one (adam, ...) ignore it.
  const momentum = hasOption(key, "momentum") ? o.momentum : undefined;
  return create(key, model.parameters(), { lr: o.lr, momentum, weightDecay: o.weightDecay });
}
