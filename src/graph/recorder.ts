// Recording op calls into a Graph. Ops make themselves visible by being wrapped with traceable():
// when no recorder is active the wrapper is one null check and a call; when one is, the outermost
// traced call is recorded as one node and the calls it makes inside (a composite op's pieces) run
// unrecorded, so the graph holds the ops user code called, with their arguments.

import { Tensor } from "../tensor/tensor.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import { GraphValue, type Graph, type GraphArg, type GraphNode, type ValueKind } from "./ir.js";

let active: GraphRecorder | null = null;

/** The recorder of the run in progress, or null. */
export function activeRecorder(): GraphRecorder | null {
  return active;
}

/**
 * Wrap an op so that a recording run sees its calls. `name` is the op's public name; the wrapper
 * keeps fn's `name` for stack traces.
 */
export function traceable<F extends (...args: any[]) => any>(name: string, fn: F): F {
  // `arguments` handed straight to apply is not materialised by V8: no array per call.
  const wrapped = function (this: unknown): unknown {
    const rec = active;
    // eslint-disable-next-line prefer-rest-params
    if (rec === null || rec.depth > 0) return fn.apply(this, arguments as unknown as unknown[]);
    // eslint-disable-next-line prefer-rest-params
    return rec.callAsOne(name, fn, Array.from(arguments), this);
  };
  Object.defineProperty(wrapped, "name", { value: fn.name || name });
  return wrapped as unknown as F;
}

/**
 * Wrap a method or function whose work is a side effect on state the graph does not see as values
 * (loss.backward() filling .grad, optimizer.step() updating parameters, zeroGrad()): a recording run
 * records each outermost call as an effect node, with `this`, and runs the ops it makes inside
 * unrecorded. Replay (graph/compile.ts) calls it again, eagerly.
 */
export function effectful<F extends (...args: any[]) => any>(name: string, fn: F): F {
  const wrapped = function (this: unknown): unknown {
    const rec = active;
    // eslint-disable-next-line prefer-rest-params
    if (rec === null && effectObserver !== null) return effectObserver(name, fn, Array.from(arguments), this);
    // eslint-disable-next-line prefer-rest-params
    if (rec === null || rec.depth > 0) return fn.apply(this, arguments as unknown as unknown[]);
    // eslint-disable-next-line prefer-rest-params
    return rec.callEffect(name, fn, Array.from(arguments), this);
  };
  Object.defineProperty(wrapped, "name", { value: fn.name || name });
  return wrapped as unknown as F;
}

type EffectObserver = (name: string, fn: (...args: any[]) => unknown, args: unknown[], thisArg: unknown) => unknown;

/** Told of every effect call while no recorder runs (kernel-level capture, graph/kernel-capture.ts); it makes the call. */
let effectObserver: EffectObserver | null = null;

/** Install (or, with null, remove) the effect observer; returns the previous one. */
export function setEffectObserver(o: EffectObserver | null): EffectObserver | null {
  const previous = effectObserver;
  effectObserver = o;
  return previous;
}

export interface KnownTensor {
  kind: Extract<ValueKind, "parameter" | "buffer" | "input">;
  name: string;
}

export class GraphRecorder {
  /** >0 while inside a recorded call: nested calls are not recorded. */
  depth = 0;
  private readonly ids = new Map<Tensor, GraphValue>();
  private readonly values: GraphValue[] = [];
  private readonly nodes: GraphNode[] = [];
  private readonly inputs: GraphValue[] = [];
  private readonly scopes: string[] = [];
  /** Keep each node's arguments as given (GraphNode.rawArgs), for replay. */
  keepRawArgs = false;

  /** Name tensors that are state (parameters, buffers) before the run. */
  constructor(known: Iterable<[Tensor, KnownTensor]> = []) {
    for (const [t, k] of known) if (!this.ids.has(t)) this.ids.set(t, this.newValue(t, k.kind, k.name));
  }

  addInput(t: Tensor, name: string): GraphValue {
    const v = this.newValue(t, "input", name);
    this.ids.set(t, v);
    this.inputs.push(v);
    return v;
  }

  /** Run fn with this recorder active; returns its result and the graph. */
  record<T>(fn: () => T): { result: T; graph: Graph } {
    if (active !== null) throw new Error("graph recording: a recording is already in progress (recordings do not nest)");
    active = this;
    let result: T;
    try {
      result = fn();
    } finally {
      active = null;
    }
    return { result, graph: { inputs: this.inputs, nodes: this.nodes, output: this.toArg(result, false), values: this.values } };
  }

  /** Calls made while a scope is pushed carry its name (a module's dotted path). */
  pushScope(name: string): void {
    this.scopes.push(name);
  }
  popScope(): void {
    this.scopes.pop();
  }
  get scope(): string {
    return this.scopes.length ? this.scopes[this.scopes.length - 1] : "";
  }

  /** Run fn(...args) and record it as one node named op; calls it makes inside are not recorded. */
  callAsOne(op: string, fn: (...args: any[]) => unknown, args: unknown[], thisArg?: unknown, module?: unknown): unknown {
    this.depth++;
    let out: unknown;
    try {
      out = fn.apply(thisArg, args);
    } finally {
      this.depth--;
    }
    const argValues = args.map((a) => this.toArg(a, false));
    const created: GraphValue[] = [];
    const output = this.toArg(out, true, created);
    // A call that returned its input unchanged (dropout in eval, contiguous of a contiguous
    // tensor) computed nothing: no node.
    // An in-place op returns its (known) input: a node only for replaying recorders, which must redo the write.
    const inPlace = created.length === 0 && this.keepRawArgs && op.endsWith("_");
    if (created.length > 0 || inPlace) {
      const self = thisArg === undefined || thisArg === globalThis ? undefined : thisArg;
      this.nodes.push({ op, args: argValues, output, outputs: created, scope: this.scope, module, fn, self, rawArgs: this.keepRawArgs ? args : undefined, inPlace, grad: isGradEnabled() });
    }
    return out;
  }

  /** Tensors written in place by code the recorder does not see (not a traced op, not inside one or an effect). */
  readonly untracedWrites: { shape: number[] }[] = [];

  /** Told by every in-place write (ops/util bumpVersion): at the top level it is one the graph cannot replay. */
  noteWrite(t: Tensor): void {
    if (this.depth === 0) this.untracedWrites.push({ shape: [...t.shape] });
  }

  /** Run fn.apply(thisArg, args) and record it as an effect node (see effectful()). */
  callEffect(op: string, fn: (...args: any[]) => unknown, args: unknown[], thisArg: unknown): unknown {
    this.depth++;
    let out: unknown;
    try {
      out = fn.apply(thisArg, args);
    } finally {
      this.depth--;
    }
    // `this` (the tensor backward runs from) is an argument too: a graph value when it is a tensor.
    const argValues = [this.toArg(thisArg, false), ...args.map((a) => this.toArg(a, false))];
    this.nodes.push({ op, args: argValues, output: undefined, outputs: [], scope: this.scope, fn, effect: true, self: thisArg, rawArgs: this.keepRawArgs ? args : undefined, grad: isGradEnabled() });
    return out;
  }

  private newValue(t: Tensor, kind: ValueKind, name: string): GraphValue {
    const v = new GraphValue(this.values.length, [...t.shape], t.dtype, kind, name, kind === "node" || kind === "input" ? null : t);
    this.values.push(v);
    return v;
  }

  /** An argument or result as a GraphArg; unknown tensors become constants, or (outputs) new node values. */
  private toArg(a: unknown, isOutput: boolean, created?: GraphValue[]): GraphArg {
    if (a instanceof Tensor) {
      const known = this.ids.get(a);
      if (known) return known;
      const v = this.newValue(a, isOutput ? "node" : "constant", "");
      this.ids.set(a, v);
      if (isOutput) created!.push(v);
      return v;
    }
    if (Array.isArray(a)) return a.map((x) => this.toArg(x, isOutput, created));
    if (a === null || a === undefined || typeof a === "number" || typeof a === "string" || typeof a === "boolean") return a;
    if (typeof a === "object" && Object.getPrototypeOf(a) === Object.prototype) {
      const o: { [k: string]: GraphArg } = {};
      for (const [k, x] of Object.entries(a as object)) o[k] = this.toArg(x, isOutput, created);
      return o;
    }
    // Typed arrays, generators, functions: kept out of the graph, shown by their kind.
    return `<${(a as object).constructor?.name ?? typeof a}>`;
  }
}
