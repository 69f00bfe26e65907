// Loading pretrained weights into a model whose head is new: every weight of the base must be in
// the checkpoint with the right shape, and the checkpoint's own classifier (trained for other
// classes, so usually of another shape) is left out — loadStateDict with strict: false, but
// strict about everything except the head.

import type { Tensor } from "../tensor/tensor.js";
import { Module, type StateDict } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import { findHead, inHead } from "./head.js";

export interface LoadPretrainedOptions {
  /** The model's head (default: see findHead); keys under this name are not loaded. */
  head?: string;
  /** Load the head's weights too when their shapes match (default false: the head stays new). */
  includeHead?: boolean;
}

export const LOAD_PRETRAINED_OPTIONS = optionNames<LoadPretrainedOptions>({ head: 1, includeHead: 1 });

export interface LoadPretrainedResult {
  /** Keys copied into the model. */
  loaded: string[];
  /** Checkpoint keys of the old head, not loaded. */
  skipped: string[];
  /** The head's name in the model. */
  head: string;
}

function list(keys: string[]): string {
  return keys.length > 6 ? `${keys.slice(0, 6).join(", ")} and ${keys.length - 6} more` : keys.join(", ");
}

/** Copy a pretrained state dict into `model`, all but the head (see LoadPretrainedOptions). */
export function loadPretrained(model: Module, stateDict: StateDict | Record<string, Tensor>, opts: LoadPretrainedOptions = {}): LoadPretrainedResult {
  const where = "loadPretrained";
  if (!(model instanceof Module)) throw new TypeError(`${where}: model must be an nb.nn.Module`);
  if (stateDict === null || typeof stateDict !== "object") throw new TypeError(`${where}: expected a state dict (from nb.load or model.stateDict())`);
  checkOptions(where, opts, LOAD_PRETRAINED_OPTIONS, { strict: "includeHead (everything but the head is always loaded strictly)" });
  const head = findHead(model, opts.head, where).name;
  const source = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
  const own = model.stateDict();
  const skipped: string[] = [];
  const base = new Map<string, Tensor>();
  for (const [k, t] of source) {
    const keepHead = opts.includeHead && own.has(k) && own.get(k)!.shape.join(",") === t.shape.join(",");
    if (inHead(k, head) && !keepHead) skipped.push(k);
    else base.set(k, t);
  }
  const missing = [...own.keys()].filter((k) => !inHead(k, head) && !base.has(k));
  const unexpected = [...base.keys()].filter((k) => !own.has(k));
  const problems: string[] = [];
  if (missing.length) problems.push(`the weights lack ${list(missing)}`);
  if (unexpected.length) problems.push(`the model has no ${list(unexpected)}`);
  if (problems.length) throw new Error(`${where}: ${problems.join("; ")} (are the weights for another model?)`);
  try {
    model.loadStateDict(base, { strict: false });
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message.replace(/^loadStateDict: /, "")}`, { cause: e });
  }
  return { loaded: [...base.keys()], skipped, head };
}
