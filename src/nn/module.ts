// Module: the base of every layer and model. Parameters, buffers and submodules are found by
// looking at the module's own fields (in the order they were assigned, as PyTorch registers
// them), so `this.conv1 = new Conv2d(...)` is all a subclass does. Field names are the state-dict
// keys, so layers that must match PyTorch name their fields as PyTorch does (`running_mean`).
// Fields whose names start with "_" are private and never registered.

import { Tensor } from "../tensor/tensor.js";
import { formatShape, shapesEqual } from "../core/shape.js";
import { noGrad } from "../autograd/grad-mode.js";
import { keep } from "../tensor/scope.js";
import { Parameter } from "./parameter.js";
import { noteStateChange } from "../graph/state-epoch.js";
import { effectful } from "../graph/recorder.js";

export type StateDict = Map<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** Train mode (dropout active, batch norm uses batch statistics) or eval mode. */
  training = true;
  /** Buffer field names: tensors that are state but not parameters. */
  private _bufferNames = new Set<string>();
  /** Buffers left out of the state dict. */
  private _nonPersistent = new Set<string>();
  /** Dotted name inside the model, learned when a parent lists its modules (for error messages). */
  _path = "";
  /**
   * Stay in eval mode whatever train() asks. nb.transfer.freeze sets it on batch norm in a frozen
   * base, so training the new head leaves the running statistics untouched (as Keras does).
   */
  _keepEval = false;

  abstract forward(...inputs: any[]): any;

  // ---- registration -----------------------------------------------------------------------
  /** Store a tensor as state that is saved and moved with the module but not trained. */
  registerBuffer(name: string, t: Tensor | null, opts: { persistent?: boolean } = {}): void {
    // A buffer is module state: it must outlive any tidy() scope the module is built in.
    if (t) keep(t);
    (this as unknown as Record<string, unknown>)[name] = t;
    this._bufferNames.add(name);
    if (opts.persistent === false) this._nonPersistent.add(name);
  }

  /** Attach a submodule under a name that need not be a valid identifier ("0", "conv.1"). */
  addModule(name: string, m: Module | null): void {
    (this as unknown as Record<string, unknown>)[name] = m;
  }

  private ownEntries(): [string, unknown][] {
    return Object.entries(this).filter(([k]) => !k.startsWith("_") && k !== "training");
  }

  namedChildren(): [string, Module][] {
    return this.ownEntries().filter((e): e is [string, Module] => e[1] instanceof Module);
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module and every descendant, with dotted names ("" for this one). A module reachable
   * under several names is listed once, under the first, as torch's named_modules.
   */
  namedModules(prefix = ""): [string, Module][] {
    return this.walk(prefix, new Set());
  }

  /** Pre-order walk; `seen` drops repeats (null keeps every path, as state dicts need). */
  private walk(prefix: string, seen: Set<Module> | null): [string, Module][] {
    if (seen) {
      if (seen.has(this)) return [];
      seen.add(this);
    }
    // Remember the most qualified name seen, so errors can say which layer of a model failed.
    if (prefix.length > this._path.length) this._path = prefix;
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.walk(prefix ? `${prefix}.${name}` : name, seen));
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters with PyTorch's dotted names (`features.0.weight`); shared ones appear once. */
  namedParameters(opts: { recurse?: boolean } = {}): [string, Parameter][] {
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    const mods = opts.recurse === false ? [["", this] as [string, Module]] : this.namedModules();
    for (const [prefix, m] of mods) {
      for (const [k, v] of m.ownEntries()) {
        if (v instanceof Parameter && !seen.has(v)) {
          seen.add(v);
          out.push([prefix ? `${prefix}.${k}` : k, v]);
        }
      }
    }
    return out;
  }
  parameters(opts: { recurse?: boolean } = {}): Parameter[] {
    return this.namedParameters(opts).map(([, p]) => p);
  }

  namedBuffers(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const name of m._bufferNames) {
        const v = (m as unknown as Record<string, unknown>)[name];
        if (v instanceof Tensor && !seen.has(v)) {
          seen.add(v);
          out.push([prefix ? `${prefix}.${name}` : name, v]);
        }
      }
    }
    return out;
  }
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  // ---- modes --------------------------------------------------------------------------------
  train(mode = true): this {
    let changed = false;
    for (const m of this.modules()) {
      const training = mode && !m._keepEval;
      if (m.training !== training) changed = true;
      m.training = training;
    }
    // Compiled graphs (nb.compile) specialise on training mode: a change makes them retrace.
    if (changed) noteStateChange();
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Stop (or restart) training parameters: all of them, or those whose names start with a prefix. */
  freeze(prefix?: string | string[]): this {
    return this.setTrainable(false, prefix);
  }
  unfreeze(prefix?: string | string[]): this {
    return this.setTrainable(true, prefix);
  }
  private setTrainable(on: boolean, prefix?: string | string[]): this {
    const prefixes = prefix === undefined ? null : typeof prefix === "string" ? [prefix] : prefix;
    let matched = 0;
    for (const [name, p] of this.namedParameters()) {
      if (prefixes && !prefixes.some((pre) => name === pre || name.startsWith(pre.endsWith(".") ? pre : `${pre}.`))) continue;
      p.requiresGrad = on;
      matched++;
    }
    if (prefixes && matched === 0) {
      throw new Error(`${on ? "unfreeze" : "freeze"}: no parameter name starts with ${prefixes.map((p) => JSON.stringify(p)).join(" or ")}`);
    }
    return this;
  }

  /** Call fn on every module (children first, then this one), as torch's apply. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Drop every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  // ---- state --------------------------------------------------------------------------------
  /**
   * Parameters and persistent buffers by dotted name, sharing storage with the module. As in
   * torch, a shared module or parameter appears under every name it is reachable by.
   */
  stateDict(): StateDict {
    const sd: StateDict = new Map();
    for (const [prefix, m] of this.walk("", null)) {
      const p = prefix ? `${prefix}.` : "";
      for (const [k, v] of m.ownEntries()) if (v instanceof Parameter) sd.set(p + k, v);
      for (const name of m._bufferNames) {
        const v = (m as unknown as Record<string, unknown>)[name];
        if (v instanceof Tensor && !m._nonPersistent.has(name)) sd.set(p + name, v);
      }
    }
    return sd;
  }

  /**
   * Copy values from a state dict into this module's tensors. With strict (the default) every
   * missing or unexpected key and every shape mismatch is reported, all in one error.
   */
  loadStateDict(sd: StateDict | Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const source = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const notTensors = [...source].filter(([, t]) => !(t instanceof Tensor)).map(([k]) => k);
    if (notTensors.length) throw new TypeError(`loadStateDict: values must be Tensors; not a Tensor: ${notTensors.join(", ")}`);
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !own.has(k));
    const mismatched: string[] = [];
    for (const [k, t] of source) {
      const mine = own.get(k);
      if (mine && !shapesEqual(mine.shape, t.shape)) {
        mismatched.push(`${k}: checkpoint has shape ${formatShape(t.shape)}, the model has ${formatShape(mine.shape)}`);
      }
    }
    const problems: string[] = [];
    if (mismatched.length) problems.push(`size mismatch for ${mismatched.join("; ")}`);
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(", ")}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(", ")}`);
    if (problems.length) throw new Error(`loadStateDict: ${problems.join(". ")}`);
    noGrad(() => {
      for (const [k, t] of source) {
        const mine = own.get(k);
        if (mine) mine.copy_(t.device === mine.device ? t : t.to(mine.device));
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Move every parameter and buffer to a device, in place (object identities stay). */
  to(device: string): this {
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        if (t.device === device) continue;
        const moved = t.to(device);
        t.setData(moved);
        moved.dispose();
        if (t.grad) {
          const g = t.grad.to(device);
          t.grad.setData(g);
          g.dispose();
        }
      }
    });
    return this;
  }

  /** An error that names this layer: `Conv2d "features.0": expected ...`. */
  layerError(message: string, kind: "type" | "range" | "plain" = "range"): Error {
    const text = `${this.constructor.name}${this._path ? ` "${this._path}"` : ""}: ${message}`;
    return kind === "type" ? new TypeError(text) : kind === "range" ? new RangeError(text) : new Error(text);
  }

  // ---- printing -----------------------------------------------------------------------------
  /** One-line description of this layer's configuration, like torch's extra_repr. */
  extraRepr(): string {
    return "";
  }

  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([name, m]) => `  (${name}): ${m.toString().split("\n").join("\n  ")}`);
    return `${head}\n${lines.join("\n")}\n)`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

// Graph capture (nb.compile) records zeroGrad as an effect and calls it again on replay.
Module.prototype.zeroGrad = effectful("module.zeroGrad", Module.prototype.zeroGrad);
