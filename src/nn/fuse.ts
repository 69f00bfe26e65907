// The fusion pass, like torch's fuse_modules: it returns a model in which runs of plain layers
// that a fused module computes are replaced by that module, the run's first layer by the fused
// block and the others by Identity (a folded batch norm by FoldedBatchNorm, which keeps its
// state), so the model's forward and its state-dict names stay as they were. Nothing else in nn/
// knows of fusion: layers and Sequential run as written, and a model is fused only when someone
// asks (nb.fit and the CLI do, since it is safe there; summary then shows the fused blocks).
//
// Always (values and gradients bit for bit the layers'):
//   Conv2d → ReLU → MaxPool2d   → ConvReLUMaxPool2d, Identity, Identity
//   ReLU → MaxPool1d/2d/3d      → ReLUMaxPool, Identity
// When the layers are in eval mode (inference; values within float32 rounding of the layers'):
//   ConvNd → BatchNormNd (→ ReLU (→ MaxPool2d))  → FoldedConvBatchNorm, FoldedBatchNorm, Identity…
//   Linear → BatchNorm1d (→ ReLU)                 → FoldedLinearBatchNorm, FoldedBatchNorm, Identity
//
// Runs are found in Sequential chains and, inside modules with their own forward, in the runs a
// class vouches for with `static fusableRuns = [["conv1", "bn1"], ...]` (ResNet's blocks do).
// Only plain layers fuse: for the always-exact blocks, instances of exactly these classes (not
// subclasses, which may compute something else); for folding, any instance running the class's
// own forward (the model zoo's Conv2d subclass only defers its initialisation); never a layer
// whose forward is replaced on the instance (a hook, summary's tracing).

import { Module } from "./module.js";
import { Sequential } from "./containers.js";
import { Conv1d, Conv2d, Conv3d } from "./conv.js";
import { Linear } from "./linear.js";
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from "./normalization.js";
import { ReLU, Identity } from "./activation.js";
import { MaxPool1d, MaxPool2d, MaxPool3d, type MaxPoolNd } from "./pooling.js";
import { ConvReLUMaxPool2d, ReLUMaxPool } from "./fused.js";
import { FoldedBatchNorm, FoldedConvBatchNorm, FoldedLinearBatchNorm } from "./folded.js";
import { shareStateCopy } from "./module-copy.js";
import { checkOptions } from "../core/options.js";

export interface FuseOptions {
  /** Rewrite `model` itself instead of a copy (default false). */
  inplace?: boolean;
  /** Fold eval-mode batch norms into the layer before them (default true; runs in training mode never fold). */
  foldBatchNorm?: boolean;
}
const FUSE_OPTIONS = ["inplace", "foldBatchNorm"] as const satisfies readonly (keyof FuseOptions)[];

type LayerClass = abstract new (...args: never[]) => Module;
/** A run's replacement: one module per layer of the run, or null when the run does not qualify. */
type Pattern = { classes: readonly LayerClass[]; folds: boolean; build: (run: Module[]) => Module[] | null };

/** The block in the run's first place, Identity in the others. */
const inFirstPlace = (block: Module, length: number): Module[] => [block, ...Array.from({ length: length - 1 }, () => new Identity())];

/** Exact runs (values and gradients bit for bit). */
const EXACT: readonly Pattern[] = [
  {
    classes: [Conv2d, ReLU, MaxPool2d], folds: false,
    build: ([conv, , pool]) => ((conv as Conv2d).paddingMode === "zeros" ? inFirstPlace(new ConvReLUMaxPool2d(conv as Conv2d, pool as MaxPool2d), 3) : null),
  },
  ...[MaxPool1d, MaxPool2d, MaxPool3d].map((P): Pattern => ({ classes: [ReLU, P], folds: false, build: ([, pool]) => inFirstPlace(new ReLUMaxPool(pool as MaxPoolNd), 2) })),
];

type BatchNorm = BatchNorm1d | BatchNorm2d | BatchNorm3d;
type Conv = Conv1d | Conv2d | Conv3d;

/** Folding needs the batch norm's running statistics, used in eval mode. */
function foldsInEval(layer: Module, bn: BatchNorm): boolean {
  return !layer.training && !bn.training && bn.running_mean !== null && bn.running_var !== null;
}

/** The batch-norm folding runs for a layer class and its batch norm: alone, → ReLU, and (2-D convs) → ReLU → MaxPool2d. */
function foldPatterns(layer: LayerClass, norm: LayerClass, withPool: boolean): Pattern[] {
  const folded = (run: Module[], relu: boolean, pool: MaxPool2d | null): Module[] | null => {
    const [first, bn] = run as [Conv | Linear, BatchNorm];
    if (!foldsInEval(first, bn)) return null;
    const slot = new FoldedBatchNorm(bn);
    const block = first instanceof Linear ? new FoldedLinearBatchNorm(first, slot, { relu }) : new FoldedConvBatchNorm(first, slot, { relu, pool });
    return [block, slot, ...Array.from({ length: run.length - 2 }, () => new Identity())];
  };
  const patterns: Pattern[] = [
    { classes: [layer, norm], folds: true, build: (run) => folded(run, false, null) },
    { classes: [layer, norm, ReLU], folds: true, build: (run) => folded(run, true, null) },
  ];
  if (withPool) {
    patterns.push({
      classes: [layer, norm, ReLU, MaxPool2d], folds: true,
      build: (run) => ((run[0] as Conv2d).paddingMode === "zeros" ? folded(run, true, run[3] as MaxPool2d) : null),
    });
  }
  return patterns;
}

const FOLDING: readonly Pattern[] = [
  ...foldPatterns(Conv1d, BatchNorm1d, false),
  ...foldPatterns(Conv2d, BatchNorm2d, true),
  ...foldPatterns(Conv3d, BatchNorm3d, false),
  ...foldPatterns(Linear, BatchNorm1d, false),
];

const PATTERNS: readonly Pattern[] = [...EXACT, ...FOLDING];

/** Run lengths to try at each position, longest first. */
const RUN_LENGTHS = [...new Set(PATTERNS.map((p) => p.classes.length))].sort((a, b) => b - a);

/** No forward set on the instance (a hook, summary's tracing). */
const ownForward = (m: Module): boolean => !Object.prototype.hasOwnProperty.call(m, "forward");

/** Exactly `cls`, with the class's own forward (no subclass, no forward set on the instance). */
function isPlain(m: Module | undefined, cls: LayerClass): boolean {
  return m !== undefined && m.constructor === cls && ownForward(m);
}

/** An instance of `cls` (or a subclass) computing `cls`'s own forward. */
function runsForwardOf(m: Module | undefined, cls: LayerClass): boolean {
  return m instanceof cls && m.forward === (cls.prototype as Module).forward && ownForward(m);
}

function matches(p: Pattern, run: Module[]): boolean {
  return p.classes.length === run.length && p.classes.every((cls, i) => (p.folds ? runsForwardOf(run[i], cls) : isPlain(run[i], cls)));
}

/** The replacements for this run of layers, or null when no pattern matches it. */
function fusedRun(run: Module[], fold: boolean): Module[] | null {
  for (const p of PATTERNS) {
    if ((fold || !p.folds) && matches(p, run)) {
      const built = p.build(run);
      if (built) return built;
    }
  }
  return null;
}

function setChild(parent: Module, name: string, m: Module): void {
  (parent as unknown as Record<string, unknown>)[name] = m;
}

/** Put a run's replacements in its layers' places. */
function replaceRun(places: readonly { parent: Module; name: string }[], replacements: Module[]): void {
  places.forEach((p, i) => setChild(p.parent, p.name, replacements[i]));
}

/** Runs Sequential's own forward (not a subclass's override): its children are a chain. */
function chainsChildren(m: Module): boolean {
  return m instanceof Sequential && m.forward === Sequential.prototype.forward && ownForward(m);
}

/** The runs m's class vouches its forward calls as chains (`static fusableRuns`), declared by exactly its class. */
function vouchedRuns(m: Module): readonly (readonly string[])[] {
  const cls = m.constructor as { fusableRuns?: readonly (readonly string[])[] };
  return Object.prototype.hasOwnProperty.call(cls, "fusableRuns") && ownForward(m) ? cls.fusableRuns ?? [] : [];
}

function fuseChains(m: Module, fold: boolean, visited: Set<Module>): number {
  if (visited.has(m)) return 0;
  visited.add(m);
  let fused = 0;
  if (chainsChildren(m)) {
    const children = m.namedChildren();
    for (let i = 0; i < children.length; ) {
      let step = 1;
      for (const length of RUN_LENGTHS) {
        const run = children.slice(i, i + length);
        const replacements = run.length === length ? fusedRun(run.map(([, c]) => c), fold) : null;
        if (!replacements) continue;
        replaceRun(run.map(([name]) => ({ parent: m, name })), replacements);
        step = length;
        fused++;
        break;
      }
      i += step;
    }
  }
  for (const names of vouchedRuns(m)) {
    const children = new Map(m.namedChildren());
    const run = names.map((n) => children.get(n));
    const replacements = run.every((c) => c !== undefined) ? fusedRun(run as Module[], fold) : null;
    if (!replacements) continue;
    replaceRun(names.map((name) => ({ parent: m, name })), replacements);
    fused++;
  }
  for (const c of m.children()) fused += fuseChains(c, fold, visited);
  return fused;
}

/**
 * nb.nn.fuse(model): the model with every fusable run of consecutive layers inside a Sequential
 * (and every run a module class vouches for) replaced by its fused block; in eval mode batch
 * norms are folded into the layer before them (`foldBatchNorm: false` keeps them). A copy sharing
 * parameters and buffers with `model` unless `inplace`. Other custom forwards are not analysed;
 * name their runs with fuseModules.
 */
export function fuse<M extends Module>(model: M, opts: FuseOptions = {}): M {
  checkOptions("fuse", opts, FUSE_OPTIONS);
  if (!(model instanceof Module)) throw new TypeError("fuse: model must be an nb.nn.Module");
  const target = opts.inplace ? model : (shareStateCopy(model) as M);
  fuseChains(target, opts.foldBatchNorm ?? true, new Set());
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

const KNOWN_RUNS = `${EXACT.map((p) => p.classes.map((c) => c.name).join(" → ")).join("; ")}; ` +
  "and in eval mode Conv1d/2d/3d → BatchNorm1d/2d/3d (→ ReLU (→ MaxPool2d)), Linear → BatchNorm1d (→ ReLU)";

/**
 * nb.nn.fuseModules(model, [["conv1", "relu1", "pool1"], ...]): fuse named runs of layers, as
 * torch.ao.quantization.fuse_modules does. The caller vouches that the model's forward calls each
 * run as a chain (the output of one layer feeds only the next). A run with a batch norm folds it,
 * which needs the layers in eval mode (as torch's fusion for inference does).
 */
export function fuseModules<M extends Module>(model: M, groups: readonly (readonly string[])[], opts: Omit<FuseOptions, "foldBatchNorm"> = {}): M {
  checkOptions("fuseModules", opts, ["inplace"]);
  if (!(model instanceof Module)) throw new TypeError("fuseModules: model must be an nb.nn.Module");
  if (!Array.isArray(groups) || (groups as unknown[]).some((g) => !Array.isArray(g) || g.some((n) => typeof n !== "string"))) {
    throw new TypeError('fuseModules: groups must be arrays of module names, e.g. [["conv1", "relu1", "pool1"]]');
  }
  const target = opts.inplace ? model : (shareStateCopy(model) as M);
  for (const group of groups as readonly (readonly string[])[]) {
    const found = group.map((name) => locate(target, name));
    const run = found.map((f) => f.module);
    const replacements = fusedRun(run, true);
    if (!replacements) {
      const kinds = run.map((m) => m.constructor.name).join(" → ");
      const training = FOLDING.some((p) => matches(p, run)) ? run.filter((m) => m.training) : [];
      if (training.length > 0) {
        throw new Error(`fuseModules: [${group.join(", ")}] (${kinds}) folds a batch norm, which uses its running statistics: the layers must be in eval mode, ` +
          `but ${training.map((m) => m.constructor.name).join(" and ")} ${training.length > 1 ? "are" : "is"} training; call model.eval() first`);
      }
      throw new RangeError(`fuseModules: [${group.join(", ")}] is ${kinds}, which no fused block computes; fusable runs of plain layers are ${KNOWN_RUNS}`);
    }
    replaceRun(found, replacements);
  }
  return target;
}
