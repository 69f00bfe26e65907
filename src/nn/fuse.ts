// The fusion pass, like torch's fuse_modules: it returns a model in which runs of plain layers
// that a fused module computes exactly (values and gradients, bit for bit) are replaced by that
// module, the run's first layer by the fused block and the others by Identity, so the model's
// forward and its state-dict names stay as they were. Nothing else in nn/ knows of fusion: layers
// and Sequential run as written, and a model is fused only when someone asks (nb.fit and the CLI
// do, since it is safe there; summary then shows the fused blocks).
//
//   Conv2d → ReLU → MaxPool2d   → ConvReLUMaxPool2d, Identity, Identity
//   ReLU → MaxPool1d/2d/3d      → ReLUMaxPool, Identity
//
// Only plain layers fuse: instances of exactly these classes (not subclasses, which may compute
// something else) whose forward is not replaced on the instance (a hook, summary's tracing).

import { Module } from "./module.js";
import { Sequential } from "./containers.js";
import { Conv2d } from "./conv.js";
import { ReLU, Identity } from "./activation.js";
import { MaxPool1d, MaxPool2d, MaxPool3d, type MaxPoolNd } from "./pooling.js";
import { ConvReLUMaxPool2d, ReLUMaxPool } from "./fused.js";
import { checkOptions } from "../core/options.js";

export interface FuseOptions {
  /** Rewrite `model` itself instead of a copy (default false). */
  inplace?: boolean;
}

type Pattern = { classes: readonly (abstract new (...args: never[]) => Module)[]; build: (run: Module[]) => Module | null };

const PATTERNS: readonly Pattern[] = [
  {
    classes: [Conv2d, ReLU, MaxPool2d],
    build: ([conv, , pool]) => ((conv as Conv2d).paddingMode === "zeros" ? new ConvReLUMaxPool2d(conv as Conv2d, pool as MaxPool2d) : null),
  },
  { classes: [ReLU, MaxPool1d], build: ([, pool]) => new ReLUMaxPool(pool as MaxPoolNd) },
  { classes: [ReLU, MaxPool2d], build: ([, pool]) => new ReLUMaxPool(pool as MaxPoolNd) },
  { classes: [ReLU, MaxPool3d], build: ([, pool]) => new ReLUMaxPool(pool as MaxPoolNd) },
];

/** Run lengths to try at each position, longest first. */
const RUN_LENGTHS = [...new Set(PATTERNS.map((p) => p.classes.length))].sort((a, b) => b - a);

/** Exactly `cls`, with the class's own forward (no subclass, no forward set on the instance). */
function isPlain(m: Module | undefined, cls: abstract new (...args: never[]) => Module): boolean {
  return m !== undefined && m.constructor === cls && !Object.prototype.hasOwnProperty.call(m, "forward");
}

/** The fused module for this run of layers, or null when no pattern matches it exactly. */
function fusedBlock(run: Module[]): Module | null {
  for (const p of PATTERNS) {
    if (p.classes.length === run.length && p.classes.every((cls, i) => isPlain(run[i], cls))) return p.build(run);
  }
  return null;
}

/**
 * A copy of the module tree that shares every parameter and buffer with the original (so training
 * one trains the other) but whose modules are new objects, free to be replaced or put in eval mode.
 */
function shareStateCopy(m: Module, copies = new Map<Module, Module>()): Module {
  const done = copies.get(m);
  if (done) return done;
  const copy = Object.create(Object.getPrototypeOf(m)) as Record<string, unknown>;
  copies.set(m, copy as unknown as Module);
  for (const [k, v] of Object.entries(m)) copy[k] = v instanceof Module ? shareStateCopy(v, copies) : v instanceof Set ? new Set(v) : v;
  return copy as unknown as Module;
}

function setChild(parent: Module, name: string, m: Module): void {
  (parent as unknown as Record<string, unknown>)[name] = m;
}

/** Runs Sequential's own forward (not a subclass's override): its children are a chain. */
function chainsChildren(m: Module): boolean {
  return m instanceof Sequential && m.forward === Sequential.prototype.forward && !Object.prototype.hasOwnProperty.call(m, "forward");
}

function fuseChains(m: Module, visited: Set<Module>): number {
  if (visited.has(m)) return 0;
  visited.add(m);
  let fused = 0;
  if (chainsChildren(m)) {
    const children = m.namedChildren();
    for (let i = 0; i < children.length; ) {
      let step = 1;
      for (const length of RUN_LENGTHS) {
        const run = children.slice(i, i + length);
        const block = run.length === length ? fusedBlock(run.map(([, c]) => c)) : null;
        if (!block) continue;
        setChild(m, run[0][0], block);
        for (const [name] of run.slice(1)) setChild(m, name, new Identity());
        step = length;
        fused++;
        break;
      }
      i += step;
    }
  }
  for (const c of m.children()) fused += fuseChains(c, visited);
  return fused;
}

/**
 * nb.nn.fuse(model): the model with every fusable run of consecutive layers inside a Sequential
 * replaced by its fused block. A copy sharing parameters and buffers with `model` unless
 * `inplace`. Custom forwards are not analysed; name their runs with fuseModules.
 */
export function fuse<M extends Module>(model: M, opts: FuseOptions = {}): M {
  checkOptions("fuse", opts, ["inplace"]);
  if (!(model instanceof Module)) throw new TypeError("fuse: model must be an nb.nn.Module");
  const target = opts.inplace ? model : (shareStateCopy(model) as M);
  fuseChains(target, new Set());
  return target;
}

/** The module at a dotted name and its parent, or an error naming what is there. */
function locate(root: Module, path: string): { parent: Module; name: string; module: Module } {
  const parts = path.split(".");
  let parent: Module = root;
  for (const part of parts.slice(0, -1)) {
    const next = parent.namedChildren().find(([n]) => n === part)?.[1];
    if (!next) throw new RangeError(`fuseModules: the model has no module named "${path}"`);
    parent = next;
  }
  const name = parts[parts.length - 1];
  const module = parent.namedChildren().find(([n]) => n === name)?.[1];
  if (!module) throw new RangeError(`fuseModules: the model has no module named "${path}"`);
  return { parent, name, module };
}

/**
 * nb.nn.fuseModules(model, [["conv1", "relu1", "pool1"], ...]): fuse named runs of layers, as
 * torch.ao.quantization.fuse_modules does. The caller vouches that the model's forward calls each
 * run as a chain (the output of one layer feeds only the next).
 */
export function fuseModules<M extends Module>(model: M, groups: readonly (readonly string[])[], opts: FuseOptions = {}): M {
  checkOptions("fuseModules", opts, ["inplace"]);
  if (!(model instanceof Module)) throw new TypeError("fuseModules: model must be an nb.nn.Module");
  if (!Array.isArray(groups) || (groups as unknown[]).some((g) => !Array.isArray(g) || g.some((n) => typeof n !== "string"))) {
    throw new TypeError('fuseModules: groups must be arrays of module names, e.g. [["conv1", "relu1", "pool1"]]');
  }
  const target = opts.inplace ? model : (shareStateCopy(model) as M);
  for (const group of groups as readonly (readonly string[])[]) {
    const found = group.map((name) => locate(target, name));
    const block = fusedBlock(found.map((f) => f.module));
    if (!block) {
      const kinds = found.map((f) => f.module.constructor.name).join(" → ");
      const known = PATTERNS.map((p) => p.classes.map((c) => c.name).join(" → ")).join("; ");
      throw new RangeError(`fuseModules: [${group.join(", ")}] is ${kinds}, which no fused block computes; fusable runs of plain layers are ${known}`);
    }
    setChild(found[0].parent, found[0].name, block);
    for (const f of found.slice(1)) setChild(f.parent, f.name, new Identity());
  }
  return target;
}
