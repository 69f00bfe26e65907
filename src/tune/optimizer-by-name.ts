// Optimizers named in a search space ({ optimizer: ["adam", "sgd"], lr: [...] }), for builders
// that return just a model. Each gets its usual default lr unless the trial sets one.

import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import { SGD } from "../optim/sgd.js";
import { Adam } from "../optim/adam.js";
import { AdamW } from "../optim/adamw.js";
import { NAdam } from "../optim/nadam.js";
import { RMSprop } from "../optim/rmsprop.js";
import { Adagrad } from "../optim/adagrad.js";
import { Adadelta } from "../optim/adadelta.js";

export const OPTIMIZER_NAMES = ["adam", "adamw", "sgd", "rmsprop", "adagrad", "adadelta", "nadam"] as const;

export interface NamedOptimizerOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

export function optimizerByName(name: unknown, model: Module, o: NamedOptimizerOptions, where: string): Optimizer {
  const params = model.parameters();
  const wd = o.weightDecay ?? 0;
  const key = typeof name === "string" ? name.toLowerCase() : name;
  switch (key) {
    case "adam": return new Adam(params, { lr: o.lr ?? 1e-3, weightDecay: wd });
    case "adamw": return new AdamW(params, { lr: o.lr ?? 1e-3, weightDecay: o.weightDecay ?? 1e-2 });
    case "sgd": return new SGD(params, { lr: o.lr ?? 1e-2, momentum: o.momentum ?? 0, weightDecay: wd });
    case "rmsprop": return new RMSprop(params, { lr: o.lr ?? 1e-2, momentum: o.momentum ?? 0, weightDecay: wd });
    case "adagrad": return new Adagrad(params, { lr: o.lr ?? 1e-2, weightDecay: wd });
    case "adadelta": return new Adadelta(params, { lr: o.lr ?? 1, weightDecay: wd });
    case "nadam": return new NAdam(params, { lr: o.lr ?? 2e-3, weightDecay: wd });
  }
  throw new RangeError(`${where}: unknown optimizer ${JSON.stringify(name)} in the trial's params; use one of ${OPTIMIZER_NAMES.join(", ")}, or return { model, optimizer } from build`);
}
