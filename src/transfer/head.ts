// A model's classifier head: found by name (torchvision's `fc`, `classifier`, ...) or, without a
// name, as the last Linear layer in registration order (typical CNN: `fc2`, LeNet-5:
// `classifier.5`, VGG: `classifier.6`, ResNet and GoogLeNet: `fc`), and replaced by a new,
// trainable head for another number of classes.

import { Module } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Sequential } from "../nn/containers.js";
import { Flatten, Linear } from "../nn/linear.js";
import { ReLU } from "../nn/activation.js";
import { Dropout } from "../nn/dropout.js";
import { describeNames } from "./capture.js";

/** The head each model was given by replaceHead, so later steps (freeze, fineTune) know it. */
const recordedHeads = new WeakMap<Module, string>();

export interface HeadInfo {
  /** Dotted module name, e.g. "fc" or "classifier.6". */
  name: string;
  module: Module;
}

/** Dotted name → module. */
function moduleMap(model: Module): Map<string, Module> {
  return new Map(model.namedModules());
}

/**
 * The model's head: the module named `head` if given, else the head replaceHead attached, else
 * the last Linear module in namedModules() order.
 */
export function findHead(model: Module, head?: string, where = "findHead"): HeadInfo {
  if (!(model instanceof Module)) throw new TypeError(`${where}: model must be an nb.nn.Module`);
  const modules = moduleMap(model);
  if (head !== undefined) {
    if (typeof head !== "string" || head === "") throw new TypeError(`${where}: head must be a module name such as "fc", got ${JSON.stringify(head)}`);
    const m = modules.get(head);
    if (!m) throw new RangeError(`${where}: the model has no module named "${head}" to use as the head; ${describeNames(model, head)}`);
    return { name: head, module: m };
  }
  const recorded = recordedHeads.get(model);
  if (recorded !== undefined && modules.has(recorded)) return { name: recorded, module: modules.get(recorded)! };
  let last: HeadInfo | null = null;
  for (const [name, m] of modules) if (m instanceof Linear && name !== "") last = { name, module: m };
  if (!last) throw new RangeError(`${where}: the model has no Linear layer to use as the head; name it with { head: "..." }`);
  return last;
}

/** Whether a dotted name is the head or inside it. */
export function inHead(name: string, head: string): boolean {
  return name === head || name.startsWith(`${head}.`);
}

export interface ReplaceHeadOptions {
  /** The module to replace (default: see findHead). */
  head?: string;
  /** Hidden layer sizes of a small MLP head (Linear → ReLU → Dropout per size); default none. */
  hidden?: number[];
  /** Dropout probability after each hidden layer, or before the Linear when there is none (default 0: no dropout). */
  dropout?: number;
}

export const REPLACE_HEAD_OPTIONS = optionNames<ReplaceHeadOptions>({ head: 1, hidden: 1, dropout: 1 });

export interface ReplaceHeadResult<M extends Module> {
  /** The same model object, now with the new head. */
  model: M;
  /** The new head's dotted name (the old head's). */
  head: string;
  /** The new head module. */
  module: Module;
}

/**
 * Put a new trainable head for `numClasses` classes where the old classifier was: a Linear with
 * the old head's input size, or (with `hidden` / `dropout`) a small MLP. Changes the model in place.
 */
export function replaceHead<M extends Module>(model: M, numClasses: number, opts: ReplaceHeadOptions = {}): ReplaceHeadResult<M> {
  const where = "replaceHead";
  checkOptions(where, opts, REPLACE_HEAD_OPTIONS);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`${where}: numClasses must be a positive integer, got ${numClasses}`);
  const hidden = opts.hidden ?? [];
  if (!Array.isArray(hidden) || !hidden.every((h) => Number.isInteger(h) && h > 0)) {
    throw new RangeError(`${where}: hidden must be an array of positive layer sizes, got ${JSON.stringify(opts.hidden)}`);
  }
  const p = opts.dropout ?? 0;
  if (typeof p !== "number" || !(p >= 0 && p < 1)) throw new RangeError(`${where}: dropout must be a probability in [0, 1), got ${p}`);
  const { name, module: old } = findHead(model, opts.head, where);
  if (name === "") throw new RangeError(`${where}: the head cannot be the whole model`);

  // The new head takes what the old one took: a Linear's input features, or, for a block such
  // as VGG's `classifier`, the input features of its first Linear (after flattening).
  const firstLinear = old instanceof Linear ? old : old.modules().find((m): m is Linear => m instanceof Linear);
  if (!firstLinear) throw new RangeError(`${where}: module "${name}" (${old.constructor.name}) holds no Linear layer, so its input size is unknown; name the classifier with { head }`);
  const inFeatures = firstLinear.inFeatures;

  const layers: Module[] = [];
  if (!(old instanceof Linear)) layers.push(new Flatten());
  let width = inFeatures;
  for (const h of hidden) {
    layers.push(new Linear(width, h), new ReLU());
    if (p > 0) layers.push(new Dropout(p));
    width = h;
  }
  if (hidden.length === 0 && p > 0) layers.push(new Dropout(p));
  layers.push(new Linear(width, numClasses));
  const fresh: Module = layers.length === 1 ? layers[0] : new Sequential(...layers);

  const device = firstLinear.weight.device;
  if (fresh.parameters().some((t) => t.device !== device)) fresh.to(device);
  fresh.train(model.training);

  const dot = name.lastIndexOf(".");
  const parent = dot < 0 ? model : moduleMap(model).get(name.slice(0, dot))!;
  parent.addModule(name.slice(dot + 1), fresh);
  recordedHeads.set(model, name);
  return { model, head: name, module: fresh };
}
