// Optimizers by name: the one table that `nabla train`, `nabla transfer`, nb.tune and user code
// (`nb.optim.create("adam", model.parameters(), { lr: 1e-3 })`) share. Names are Keras' (sgd,
// adam, adamw, rmsprop, adagrad, adadelta, nadam), any case. Only the options the caller gives
// are passed on: everything else is the optimizer's own default, which is torch.optim's.

import type { Tensor } from "../tensor/tensor.js";
import { zeros } from "../tensor/creation.js";
import { camelCase, closestName, describe } from "../core/options.js";
import type { Optimizer, ParamsInput } from "./optimizer.js";
import { SGD } from "./sgd.js";
import { Adam } from "./adam.js";
import { AdamW } from "./adamw.js";
import { NAdam } from "./nadam.js";
import { RMSprop } from "./rmsprop.js";
import { Adagrad } from "./adagrad.js";
import { Adadelta } from "./adadelta.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizerClass = new (params: ParamsInput<any>, options?: any) => Optimizer;

const CLASSES = {
  sgd: SGD, adam: Adam, adamw: AdamW, rmsprop: RMSprop, adagrad: Adagrad, adadelta: Adadelta, nadam: NAdam,
} as const satisfies Record<string, AnyOptimizerClass>;

/** The name of an optimizer in the registry (lowercase, as Keras spells it). */
export type OptimizerName = keyof typeof CLASSES;

const NAMES = Object.freeze(Object.keys(CLASSES)) as readonly OptimizerName[];

/** Other spellings of option names (Keras' `learning_rate`); snake_case is camelCased first. */
const OPTION_ALIASES: Readonly<Record<string, string>> = { learningRate: "lr" };

/** The registered names: sgd, adam, adamw, rmsprop, adagrad, adadelta, nadam. */
export function names(): OptimizerName[] {
  return [...NAMES];
}

const normalize = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/**
 * The registry's name for `name` ("Adam", "RMSprop", "rms_prop" → adam, rmsprop), or a RangeError
 * naming the closest registered name. `owner` starts the message.
 */
export function resolveName(name: unknown, owner = "nb.optim.create"): OptimizerName {
  if (typeof name === "string") {
    const hit = NAMES.find((n) => n === normalize(name));
    if (hit) return hit;
  }
  const guess = typeof name === "string" ? closestName(normalize(name), NAMES) : undefined;
  const hint = guess ? ` (did you mean "${guess}"?)` : "";
  throw new RangeError(`${owner}: unknown optimizer ${describe(name)}${hint}; the optimizers are ${NAMES.join(", ")}`);
}

/** The class registered under `name` (nb.optim.Adam for "adam"). */
export function optimizerClass(name: string): AnyOptimizerClass {
  return CLASSES[resolveName(name, "nb.optim.optimizerClass")];
}

const defaultsCache = new Map<OptimizerName, Readonly<Record<string, unknown>>>();

/** Every option of the named optimizer with its default value (torch.optim's), e.g. rmsprop → { lr: 0.01, alpha: 0.99, ... }. */
export function defaults(name: string): Readonly<Record<string, unknown>> {
  const key = resolveName(name, "nb.optim.defaults");
  let d = defaultsCache.get(key);
  if (!d) {
    // The constructor merges and checks the options; a one-element placeholder is all it needs.
    const probe: Tensor = zeros([1]);
    d = Object.freeze({ ...(new (CLASSES[key] as AnyOptimizerClass)([probe]).defaults as unknown as Record<string, unknown>) });
    probe.dispose();
    defaultsCache.set(key, d);
  }
  return d;
}

/** Whether the named optimizer has the option (`momentum` for sgd and rmsprop, not for adam). */
export function hasOption(name: string, option: string): boolean {
  return option in defaults(name);
}

/** A module or anything with parameters(): its parameters. */
function paramsOf(params: unknown): unknown {
  if (params !== null && typeof params === "object" && typeof (params as { parameters?: unknown }).parameters === "function") {
    return (params as { parameters: () => Tensor[] }).parameters();
  }
  return params;
}

/**
 * Make an optimizer by name: `nb.optim.create("adamw", model.parameters(), { lr: 3e-4 })`.
 * `params` is what the optimizer's constructor takes (tensors or parameter groups), or a Module.
 * Options left out, or given as undefined, keep the optimizer's own (torch) defaults; an option
 * the optimizer does not have is an error naming the ones it has. snake_case keys and Keras'
 * `learning_rate` are accepted.
 */
export function create<N extends OptimizerName>(name: N, params: unknown, options?: Record<string, unknown>): InstanceType<(typeof CLASSES)[N]>;
export function create(name: string, params: unknown, options?: Record<string, unknown>): Optimizer;
export function create(name: string, params: unknown, options: Record<string, unknown> = {}): Optimizer {
  const key = resolveName(name);
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`nb.optim.create: options must be an object like { lr: 0.01 }, got ${describe(options)}`);
  }
  const given: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    const camel = camelCase(k);
    given[OPTION_ALIASES[camel] ?? camel] = v;
  }
  return new (CLASSES[key] as AnyOptimizerClass)(paramsOf(params) as ParamsInput<Record<string, unknown>>, given);
}
