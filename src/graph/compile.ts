// nb.compile: trace a function once into a graph of op calls, then replay that graph on later calls
// whose guards match, without running the function's own JavaScript (its module forwards, its
// control flow). What replay runs is the recorded sequence of public op calls (each node's `fn` on
// the tensors of this call), with loss.backward(), optimizer.step() and zeroGrad() replayed as
// effects: they run eagerly, as they did when traced. Random ops are replayed in the order traced,
// on the generator they were given, so a seeded compiled run draws exactly what the eager run draws.
//
// A trace that reads a tensor on the host at the top level (.item(), dataSync) or feeds an op a
// tensor made outside the ops the tracer sees (nb.zeros inside the function, an untraced op's
// result, a .grad) cannot be replayed: the function is a graph break and runs eagerly from then on
// (compiled.breaks says why), or, with fullGraph: true, compile throws naming the op.

import { Tensor, setHostReadHook } from "../tensor/tensor.js";
import { checkOptions } from "../core/options.js";
import { formatShape } from "../core/shape.js";
import { isGradEnabled, setGradEnabled } from "../autograd/grad-mode.js";
import "../autograd/engine.js";
import { GraphRecorder, activeRecorder, effectful } from "./recorder.js";
import { GraphValue, valuesIn, type Graph, type GraphArg, type GraphNode } from "./ir.js";
import { eliminateDeadCode } from "./passes/dead-code.js";
import { stateEpoch } from "./state-epoch.js";

// loss.backward() is an effect for graph capture (autograd sits below graph/, so the wrap is here).
Tensor.prototype.backward = effectful("backward", Tensor.prototype.backward);

export interface CompileOptions {
  /** A graph break (host read, untraced tensor) is an error naming the op instead of an eager fallback. */
  fullGraph?: boolean;
}

/** Why a function could not be captured; it runs eagerly from then on. */
export interface GraphBreak {
  /** What broke the graph: "item", "dataSync", "data", or "untraced tensor". */
  op: string;
  reason: string;
  /** The first stack frame outside nabla's tensor and graph code, when known. */
  where: string;
}

export interface CompileStats {
  traces: number;
  replays: number;
  /** Calls run eagerly because of a graph break. */
  eager: number;
}

export type CompiledFunction<A extends unknown[], R> = ((...args: A) => R) & {
  /** The graph the last call traced or replayed, as a table (op, input and output shapes, value slot, module scope). */
  readonly graph: string;
  /** The last plan's graph itself (after passes), or null before the first call or after a break. */
  readonly plan: CompiledPlan | null;
  readonly breaks: readonly GraphBreak[];
  readonly stats: Readonly<CompileStats>;
  /** Forget every trace and break: the next call traces again (after replacing a module's parameters). */
  reset(): void;
};

/** One specialisation: the graph traced for one guard key, ready to replay. */
export interface CompiledPlan {
  readonly graph: Graph;
  /** Nodes dead-code elimination removed. */
  readonly removed: readonly GraphNode[];
  readonly key: string;
}

/** A reference to a graph value inside a replay template. */
class Slot {
  constructor(readonly id: number) {}
}
type Template = unknown;

interface Step {
  node: GraphNode;
  self: Template;
  args: Template[];
  grad: boolean;
}

interface Plan extends CompiledPlan {
  steps: Step[];
  /** Values bound once per replay: parameters, buffers and constants the graph captured. */
  captured: { id: number; tensor: Tensor; shape: readonly number[] }[];
  inputIds: number[];
  result: Template;
  epoch: number;
  size: number;
}

/** At most this many specialisations per function (as torch's cache limit); the oldest goes. */
const MAX_PLANS = 8;
const OPTIONS = ["fullGraph"];

export function compile<A extends unknown[], R>(fn: (...args: A) => R, options: CompileOptions = {}): CompiledFunction<A, R> {
  checkOptions("compile", options, OPTIONS);
  if (typeof fn !== "function") throw new TypeError(`compile: expected a function, got ${typeof fn}`);
  const fullGraph = options.fullGraph ?? false;
  const plans = new Map<string, Plan>();
  const breaks: GraphBreak[] = [];
  const stats: CompileStats = { traces: 0, replays: 0, eager: 0 };
  let last: Plan | null = null;

  const compiled = function (this: unknown, ...args: A): R {
    if (breaks.length > 0) {
      stats.eager++;
      return fn.apply(this, args);
    }
    // Inside another recording (an ONNX export, an outer compile) run as plain code, recorded by it.
    if (activeRecorder() !== null) return fn.apply(this, args);
    const inputs: Tensor[] = [];
    const key = guardKey(args, inputs);
    const plan = plans.get(key);
    if (plan && planValid(plan)) {
      stats.replays++;
      last = plan;
      return replay(plan, inputs) as R;
    }
    stats.traces++;
    const traced = trace(fn, this, args, inputs, key, fullGraph, breaks);
    if (traced.plan) {
      plans.delete(key);
      if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value as string);
      plans.set(key, traced.plan);
    }
    last = traced.plan;
    return traced.result;
  } as CompiledFunction<A, R>;

  Object.defineProperties(compiled, {
    graph: { get: () => (last ? formatPlan(last) : breaks.length ? `graph break: ${breaks[0].reason}` : "not traced yet") },
    plan: { get: () => last },
    breaks: { get: () => breaks },
    stats: { get: () => stats },
    reset: {
      value: () => {
        plans.clear();
        breaks.length = 0;
        last = null;
      },
    },
  });
  return compiled;
}

// ---- guards --------------------------------------------------------------------------------------

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/**
 * What a plan specialises on: each argument's shape, dtype and requiresGrad (tensors), value
 * (numbers, strings, booleans) or identity (other objects); which tensor arguments are the same
 * tensor; grad mode; and the state epoch (modules switching between train and eval).
 */
function guardKey(args: unknown[], inputs: Tensor[]): string {
  const parts: string[] = [isGradEnabled() ? "grad" : "nograd", `epoch ${stateEpoch()}`];
  const visit = (a: unknown): void => {
    if (a instanceof Tensor) {
      const same = inputs.indexOf(a);
      inputs.push(a);
      parts.push(same >= 0 ? `=${same}` : `T[${a.shape.join(",")}]${a.dtype}${a.requiresGrad ? "g" : ""}`);
    } else if (Array.isArray(a)) {
      parts.push("[");
      a.forEach(visit);
      parts.push("]");
    } else if (a !== null && typeof a === "object" && Object.getPrototypeOf(a) === Object.prototype) {
      parts.push("{");
      for (const [k, v] of Object.entries(a)) {
        parts.push(k);
        visit(v);
      }
      parts.push("}");
    } else if (a !== null && (typeof a === "object" || typeof a === "function")) {
      let id = objectIds.get(a);
      if (id === undefined) objectIds.set(a, (id = nextObjectId++));
      parts.push(`O${id}`);
    } else parts.push(typeof a === "string" ? JSON.stringify(a) : String(a));
  };
  args.forEach(visit);
  return parts.join(" ");
}

/** The captured tensors are still the ones traced: alive and of the traced shape (setData may change both). */
function planValid(plan: Plan): boolean {
  if (plan.epoch !== stateEpoch()) return false;
  for (const c of plan.captured) {
    if (c.tensor.isDisposed || c.tensor.shape.length !== c.shape.length || c.tensor.shape.some((d, i) => d !== c.shape[i])) return false;
  }
  return true;
}

// ---- tracing -------------------------------------------------------------------------------------

function trace<R>(
  fn: (...args: any[]) => R, self: unknown, args: unknown[], inputs: Tensor[], key: string, fullGraph: boolean, breaks: GraphBreak[],
): { result: R; plan: Plan | null } {
  const rec = new GraphRecorder();
  rec.keepRawArgs = true;
  inputs.forEach((t, i) => rec.addInput(t, `in${i}`));
  const firstNew = Tensor.peekNextId();
  const epoch = stateEpoch();
  const hostReads: GraphBreak[] = [];
  const previousHook = setHostReadHook((op, t) => {
    // Reads inside an op or an effect (validating indices, the optimizer's own work) replay with it.
    if (activeRecorder() !== rec || rec.depth > 0) return;
    const b: GraphBreak = { op, reason: `${op}() reads a tensor of shape ${formatShape(t.shape)} on the host in the middle of the function`, where: callerFrame() };
    if (fullGraph) throw new Error(`compile (fullGraph): graph break: ${b.reason}${b.where ? ` at ${b.where}` : ""}; move the read out of the compiled function or compile without fullGraph`);
    hostReads.push(b);
  });
  let recorded: { result: R; graph: Graph };
  try {
    recorded = rec.record(() => fn.apply(self, args));
  } finally {
    setHostReadHook(previousHook);
  }
  const { result, graph } = recorded;
  const untraced = untracedTensors(graph, firstNew);
  const writes: GraphBreak[] = rec.untracedWrites.map((w) => ({
    op: "in-place write",
    reason: `a tensor of shape ${formatShape(w.shape)} was written in place by code the tracer does not see (not a traced in-place op such as add_ or copy_)`,
    where: "",
  }));
  const found = [...hostReads, ...untraced, ...writes];
  if (found.length > 0) {
    if (fullGraph) throw new Error(`compile (fullGraph): graph break: ${found[0].reason}`);
    breaks.push(...found);
    return { result, plan: null };
  }
  return { result, plan: buildPlan(graph, key, epoch, result) };
}

/**
 * Tensors the graph holds as constants that were made during the trace: by code the tracer does
 * not see (nb.zeros, nb.randn, an untraced op, backward's .grad). Replay would reuse this call's
 * tensor, so they break the graph.
 */
function untracedTensors(graph: Graph, firstNew: number): GraphBreak[] {
  const found: GraphBreak[] = [];
  const seen = new Set<GraphValue>();
  const check = (arg: GraphArg, user: string, scope: string) => {
    for (const v of valuesIn(arg)) {
      if (v.kind !== "constant" || v.tensor === null || v.tensor.id < firstNew || seen.has(v)) continue;
      seen.add(v);
      found.push({
        op: "untraced tensor",
        reason: `a tensor of shape ${formatShape(v.shape)} used by ${user}${scope ? ` in module '${scope}'` : ""} was made during the call outside the ops the tracer sees (nb.zeros/nb.randn/nb.tensor, an untraced op, a .grad)`,
        where: "",
      });
    }
  };
  for (const n of graph.nodes) check(n.args, `op '${n.op}'`, n.scope);
  check(graph.output, "the returned value", "");
  return found;
}

/** The first stack frame outside nabla's tensor/graph code (the user's line that read the value). */
function callerFrame(): string {
  const lines = (new Error().stack ?? "").split("\n").slice(1);
  const frame = lines.find((l) => !/[/\\]src[/\\](tensor|graph)[/\\]|node:internal/.test(l));
  return frame ? frame.trim().replace(/^at /, "") : "";
}

/** A replay template for an argument: graph values become Slots, everything else is kept as given. */
function template(raw: unknown, g: GraphArg): Template {
  if (g instanceof GraphValue) return new Slot(g.id);
  if (Array.isArray(raw) && Array.isArray(g)) {
    if (valuesIn(g).length === 0) return raw;
    return raw.map((r, i) => template(r, g[i]));
  }
  if (raw !== null && typeof raw === "object" && Object.getPrototypeOf(raw) === Object.prototype && g !== null && typeof g === "object") {
    if (valuesIn(g).length === 0) return raw;
    const o: Record<string, Template> = {};
    for (const [k, r] of Object.entries(raw)) o[k] = template(r, (g as Record<string, GraphArg>)[k]);
    return o;
  }
  return raw;
}

/**
 * A node without what its traced call was given: the trace's tensors (its activations, the loss
 * with its whole autograd graph) must not stay alive as long as the plan.
 */
function stripped(node: GraphNode): GraphNode {
  return { ...node, rawArgs: undefined, self: undefined };
}

function buildPlan(traced: Graph, key: string, epoch: number, result: unknown): Plan {
  const dce = eliminateDeadCode(traced);
  const graph: Graph = { ...dce.graph, nodes: dce.graph.nodes.map(stripped) };
  const removed = dce.removed.map(stripped);
  const steps: Step[] = dce.graph.nodes.map((node, i) => {
    const raw = node.rawArgs ?? [];
    // Effect nodes carry `this` as their first graph argument.
    const offset = node.effect ? 1 : 0;
    return {
      node: graph.nodes[i],
      self: node.effect ? template(node.self, node.args[0]) : node.self instanceof Tensor ? undefined : node.self,
      args: raw.map((r, i) => template(r, node.args[i + offset])),
      grad: node.grad ?? true,
    };
  });
  const used = new Set<number>(valuesIn(graph.output).map((v) => v.id));
  for (const n of graph.nodes) for (const v of valuesIn(n.args)) used.add(v.id);
  const captured = graph.values
    .filter((v) => v.kind !== "node" && v.kind !== "input" && v.tensor !== null && used.has(v.id))
    .map((v) => ({ id: v.id, tensor: v.tensor!, shape: v.shape }));
  return { graph, removed, key, steps, captured, inputIds: graph.inputs.map((v) => v.id), result: template(result, graph.output), epoch, size: graph.values.length };
}

// ---- replay --------------------------------------------------------------------------------------

function resolve(t: Template, env: (Tensor | undefined)[]): unknown {
  if (t instanceof Slot) {
    const v = env[t.id];
    if (v === undefined) throw new Error(`compile: replay reached value #${t.id} before it was computed (internal error)`);
    return v;
  }
  if (Array.isArray(t)) return t.map((x) => resolve(x, env));
  if (t !== null && typeof t === "object" && Object.getPrototypeOf(t) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(t)) o[k] = resolve(x, env);
    return o;
  }
  return t;
}

/** Bind what a replayed call returned to the values its traced call created. */
function bind(output: GraphArg, got: unknown, node: GraphNode, env: (Tensor | undefined)[]): void {
  if (output instanceof GraphValue) {
    if (output.kind !== "node" || !node.outputs.includes(output)) return;
    if (!(got instanceof Tensor)) throw new Error(`compile: replaying op '${node.op}' returned ${typeof got} where the trace returned a tensor`);
    env[output.id] = got;
  } else if (Array.isArray(output) && Array.isArray(got)) output.forEach((o, i) => bind(o, got[i], node, env));
  else if (output !== null && typeof output === "object" && got !== null && typeof got === "object") {
    for (const [k, o] of Object.entries(output)) bind(o, (got as Record<string, unknown>)[k], node, env);
  }
}

function replay(plan: Plan, inputs: Tensor[]): unknown {
  const env: (Tensor | undefined)[] = new Array(plan.size);
  plan.inputIds.forEach((id, i) => (env[id] = inputs[i]));
  for (const c of plan.captured) env[c.id] = c.tensor;
  const gradBefore = isGradEnabled();
  try {
    for (const s of plan.steps) {
      if (isGradEnabled() !== s.grad) setGradEnabled(s.grad);
      const args = s.args.map((a) => resolve(a, env));
      const out = s.node.fn.apply(resolve(s.self, env), args);
      if (!s.node.effect) bind(s.node.output, out, s.node, env);
    }
  } finally {
    setGradEnabled(gradBefore);
  }
  return resolve(plan.result, env);
}

// ---- introspection -------------------------------------------------------------------------------

/** The plan as a table: one node a line with its op, tensor inputs, outputs, value slots and module scope. */
export function formatPlan(plan: CompiledPlan): string {
  const g = plan.graph;
  const ref = (v: GraphValue) => (v.kind === "node" ? `%${v.id}` : v.kind === "input" ? `%${v.name}` : `@${v.name || v.id}`);
  const withShape = (v: GraphValue) => `${ref(v)}${formatShape(v.shape)}`;
  const rows = g.nodes.map((n, i) => {
    const ins = valuesIn(n.args).map(withShape).join(" ");
    const outs = n.effect ? "(effect)" : n.outputs.map((v) => `${formatShape(v.shape)} ${v.dtype}`).join(", ");
    const slots = n.outputs.map((v) => `%${v.id}`).join(",");
    return [String(i), n.op, ins, outs, slots, n.scope];
  });
  const head = ["#", "op", "inputs", "outputs", "slot", "scope"];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((x, c) => x.padEnd(widths[c])).join("  ").trimEnd();
  const inputs = g.inputs.map((v) => `${ref(v)}${formatShape(v.shape)} ${v.dtype}`).join(", ");
  return [
    `compiled graph: ${g.nodes.length} nodes (${plan.removed.length} removed as dead code); inputs ${inputs || "none"}`,
    line(head),
    ...rows.map(line),
    `returns ${valuesIn(g.output).map(ref).join(", ") || "no tensor"}`,
  ].join("\n");
}
