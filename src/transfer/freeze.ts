// Freezing a pretrained base: which parameters train, and batch norm in inference mode.
// Three strategies: train the entire model, train some layers and freeze the rest,
// freeze the whole convolutional base. As in Keras' fine-tuning guide, batch norm layers in a
// frozen base stay in inference mode — they normalise with their running statistics and never
// update them, even while model.train() trains the head — so the base computes exactly what it
// computed when it was pretrained.

import { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import { ModuleDict, ModuleList, Sequential } from "../nn/containers.js";
import { describeNames } from "./capture.js";
import { findHead, inHead } from "./head.js";

export type Strategy = "entire" | "partial" | "frozen-base";
export const STRATEGIES: readonly Strategy[] = ["entire", "partial", "frozen-base"];

/** What batch norm layers in frozen parts do: keep their running statistics (Keras) or update them (PyTorch's plain requiresGrad = false). */
export type BatchNormMode = "inference" | "train";

export interface FreezeOptions {
  /**
   * Strategies: "entire" trains everything, "frozen-base" freezes all but the head,
   * "partial" freezes the base up to `upTo` (default: the first half of the base's layers).
   */
  strategy?: Strategy;
  /** Freeze every module outside the head (the default when neither strategy nor upTo is given). */
  base?: boolean;
  /**
   * Freeze from the input up to and including this module ("layer3": conv1, bn1, layer1 ... layer3),
   * or this many layers of the base (see baseLayers) counted from the input.
   */
  upTo?: string | number;
  /** Module names (prefixes) that stay trainable even inside the frozen part, e.g. ["layer3.1"]. */
  except?: string[];
  /** The head's module name (default: see findHead). */
  head?: string;
  /** Batch norm in the frozen part: "inference" (default) or "train". */
  batchNorm?: BatchNormMode;
}

export const FREEZE_OPTIONS = optionNames<FreezeOptions>({ strategy: 1, base: 1, upTo: 1, except: 1, head: 1, batchNorm: 1 });

/** The `{ head }` option of baseLayers and freezeState. */
export interface HeadOption {
  /** The head's module name (default: see findHead). */
  head?: string;
}

export const HEAD_OPTION = optionNames<HeadOption>({ head: 1 });

export interface FreezeState {
  head: string;
  /** Names of the parameters that do not train. */
  frozen: string[];
  /** Names of the parameters that train. */
  trainable: string[];
  /** Normalization layers kept in inference mode (running statistics fixed). */
  inference: string[];
}

const CONTAINERS = [Sequential, ModuleList, ModuleDict];
/** Auxiliary classifiers (GoogLeNet's aux1/aux2, Inception v3's AuxLogits): off the main path, not counted as layers. */
const AUXILIARY = /^aux/i;
const isContainer = (m: Module): boolean => CONTAINERS.some((c) => m instanceof c);

/**
 * The base's layers from the input up, the units `upTo: n` counts: the model's children with
 * Sequential/ModuleList/ModuleDict opened up, keeping those that hold parameters or buffers, and
 * leaving out the head. ResNet-18: conv1, bn1, layer1.0, layer1.1, ..., layer4.1; LeNet-5:
 * features.0, features.3, classifier.1, classifier.3. Auxiliary classifiers are not counted.
 */
export function baseLayers(model: Module, opts: HeadOption = {}): string[] {
  checkOptions("baseLayers", opts, HEAD_OPTION);
  const head = findHead(model, opts.head, "baseLayers").name;
  const out: string[] = [];
  const visit = (m: Module, prefix: string): void => {
    for (const [n, child] of m.namedChildren()) {
      const name = prefix ? `${prefix}.${n}` : n;
      if (inHead(name, head) || AUXILIARY.test(n)) continue;
      if (isContainer(child)) visit(child, name);
      else if (child.parameters().length > 0 || child.buffers().length > 0) out.push(name);
    }
  };
  visit(model, "");
  return out;
}

const under = (name: string, prefix: string): boolean => prefix === "" || name === prefix || name.startsWith(`${prefix}.`);

/** Modules with running statistics (batch norm; instance norm with trackRunningStats). */
function hasRunningStats(m: Module): boolean {
  return (m as unknown as { running_mean?: unknown }).running_mean instanceof Tensor;
}

/** Freeze or unfreeze parameters module by module; `frozen` holds module names. */
function apply(model: Module, head: string, frozen: Set<string>, batchNorm: BatchNormMode): FreezeState {
  for (const [pname, p] of model.namedParameters()) {
    const dot = pname.lastIndexOf(".");
    p.requiresGrad = !frozen.has(dot < 0 ? "" : pname.slice(0, dot));
  }
  for (const [name, m] of model.namedModules()) {
    if (!hasRunningStats(m)) continue;
    const lock = frozen.has(name) && batchNorm === "inference";
    m._keepEval = lock;
    m.training = lock ? false : model.training;
  }
  return freezeState(model, { head });
}

/** Which parameters train and which normalization layers are held in inference mode, now. */
export function freezeState(model: Module, opts: HeadOption = {}): FreezeState {
  checkOptions("freezeState", opts, HEAD_OPTION);
  const head = findHead(model, opts.head, "freezeState").name;
  const frozen: string[] = [], trainable: string[] = [];
  for (const [name, p] of model.namedParameters()) (p.requiresGrad ? trainable : frozen).push(name);
  const inference = model.namedModules().filter(([, m]) => m._keepEval).map(([n]) => n);
  return { head, frozen, trainable, inference };
}

function checkBatchNorm(where: string, v: unknown): BatchNormMode {
  if (v === undefined) return "inference";
  if (v !== "inference" && v !== "train") throw new RangeError(`${where}: batchNorm must be "inference" or "train", got ${JSON.stringify(v)}`);
  return v;
}

function checkPrefixes(where: string, option: string, model: Module, prefixes: unknown): string[] {
  const list = typeof prefixes === "string" ? [prefixes] : prefixes;
  if (!Array.isArray(list) || !list.every((p) => typeof p === "string" && p !== "")) {
    throw new TypeError(`${where}: ${option} must be module names, e.g. ["layer4"], got ${JSON.stringify(prefixes)}`);
  }
  const names = model.namedModules().map(([n]) => n);
  for (const p of list) {
    if (!names.some((n) => under(n, p))) throw new RangeError(`${where}: ${option} names "${p}", which is no module of the model; ${describeNames(model, p)}`);
  }
  return list;
}

/** Module names (in namedModules order) up to and including the module `upTo`, or the first `upTo` base layers. */
function modulesUpTo(model: Module, upTo: string | number, head: string, where: string): string[] {
  const names = model.namedModules().map(([n]) => n);
  if (typeof upTo === "number") {
    const layers = baseLayers(model, { head });
    if (!Number.isInteger(upTo) || upTo < 0 || upTo > layers.length) {
      throw new RangeError(`${where}: upTo must be a layer count from 0 to ${layers.length} (the base's layers: ${layers.join(", ")}), got ${upTo}`);
    }
    const chosen = layers.slice(0, upTo);
    return names.filter((n) => chosen.some((c) => under(n, c)));
  }
  if (typeof upTo !== "string" || upTo === "") throw new TypeError(`${where}: upTo must be a module name such as "layer3" or a number of layers, got ${JSON.stringify(upTo)}`);
  let cut = -1;
  names.forEach((n, i) => {
    if (under(n, upTo)) cut = i;
  });
  if (cut < 0) throw new RangeError(`${where}: upTo names "${upTo}", which is no module of the model; ${describeNames(model, upTo)}`);
  if (inHead(upTo, head)) throw new RangeError(`${where}: upTo names "${upTo}", which is in the head "${head}"; the head always trains`);
  return names.slice(0, cut + 1);
}

/**
 * Choose which parameters train. Sets the complete state: the part chosen is frozen
 * (requiresGrad = false, batch norm in inference mode) and everything else trains. With no
 * options, freezes the whole base (every module but the head).
 */
export function freeze(model: Module, opts: FreezeOptions = {}): FreezeState {
  const where = "freeze";
  if (!(model instanceof Module)) throw new TypeError(`${where}: model must be an nb.nn.Module`);
  if (opts === null || typeof opts !== "object") throw new TypeError(`${where}: options must be an object`);
  checkOptions(where, opts, FREEZE_OPTIONS);
  const batchNorm = checkBatchNorm(where, opts.batchNorm);
  if (opts.strategy !== undefined && !STRATEGIES.includes(opts.strategy)) {
    throw new RangeError(`${where}: strategy must be one of ${STRATEGIES.map((s) => `"${s}"`).join(", ")}, got ${JSON.stringify(opts.strategy)}`);
  }
  if (opts.base !== undefined && opts.upTo !== undefined) throw new Error(`${where}: give either base (freeze all of it) or upTo (freeze part of it), not both`);
  if (opts.strategy === "entire" && (opts.base || opts.upTo !== undefined)) throw new Error(`${where}: strategy "entire" trains everything; it takes no base or upTo`);
  if (opts.strategy === "frozen-base" && opts.upTo !== undefined) throw new Error(`${where}: strategy "frozen-base" freezes the whole base; use strategy "partial" with upTo`);
  if (opts.strategy === "partial" && opts.base) throw new Error(`${where}: strategy "partial" freezes part of the base; base: true freezes all of it`);
  const head = findHead(model, opts.head, where).name;
  const names = model.namedModules().map(([n]) => n);

  let chosen: string[];
  if (opts.strategy === "entire" || opts.base === false) chosen = [];
  else if (opts.upTo !== undefined) chosen = modulesUpTo(model, opts.upTo, head, where);
  else if (opts.strategy === "partial") {
    // Default: the first half of the base (its generic, early features) stays as pretrained.
    chosen = modulesUpTo(model, Math.ceil(baseLayers(model, { head }).length / 2), head, where);
  } else chosen = names;

  const except = opts.except === undefined ? [] : checkPrefixes(where, "except", model, opts.except);
  const frozen = new Set(chosen.filter((n) => !inHead(n, head) && !except.some((e) => under(n, e))));
  return apply(model, head, frozen, batchNorm);
}

export interface UnfreezeOptions {
  /** What to unfreeze: module names (prefixes), or the last n layers of the base; default everything. */
  only?: string | string[] | number;
  head?: string;
  /**
   * Batch norm layers being unfrozen: stay in inference mode (default, as Keras advises for
   * fine-tuning: their weights train, their running statistics stay) or go back to training mode.
   */
  batchNorm?: BatchNormMode;
}

export const UNFREEZE_OPTIONS = optionNames<UnfreezeOptions>({ only: 1, head: 1, batchNorm: 1 });

/** Make (part of) a frozen model trainable again, for fine-tuning; the rest keeps its state. */
export function unfreeze(model: Module, opts: UnfreezeOptions = {}): FreezeState {
  const where = "unfreeze";
  if (!(model instanceof Module)) throw new TypeError(`${where}: model must be an nb.nn.Module`);
  checkOptions(where, opts, UNFREEZE_OPTIONS);
  const batchNorm = checkBatchNorm(where, opts.batchNorm);
  const head = findHead(model, opts.head, where).name;
  const names = model.namedModules().map(([n]) => n);
  let released: string[];
  if (opts.only === undefined) released = names;
  else if (typeof opts.only === "number") {
    const layers = baseLayers(model, { head });
    if (!Number.isInteger(opts.only) || opts.only < 0 || opts.only > layers.length) {
      throw new RangeError(`${where}: only must be a layer count from 0 to ${layers.length} (the base's layers: ${layers.join(", ")}), got ${opts.only}`);
    }
    const last = layers.slice(layers.length - opts.only);
    released = names.filter((n) => last.some((l) => under(n, l)));
  } else {
    const prefixes = checkPrefixes(where, "only", model, opts.only);
    released = names.filter((n) => prefixes.some((p) => under(n, p)));
  }
  const releasedSet = new Set(released);
  for (const [name, m] of model.namedModules()) {
    if (!releasedSet.has(name)) continue;
    for (const p of m.parameters({ recurse: false })) p.requiresGrad = true;
    if (batchNorm === "train" && m._keepEval) {
      m._keepEval = false;
      m.training = model.training;
    }
  }
  return freezeState(model, { head });
}
