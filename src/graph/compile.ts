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
import { inHostCheck } from "./host-check.js";
import { captureKernels, countAllocations, kernelCaptureActive, type KernelCapture } from "./kernel-capture.js";
import { KernelPlan, buildKernelPlan, type KernelPlanSummary } from "./kernel-plan.js";
import { activeBackend, getBackendByName } from "../backend/registry.js";
import type { Backend } from "../backend/backend.js";

// loss.backward() is an effect for graph capture (autograd sits below graph/, so the wrap is here).
Tensor.prototype.backward = effectful("backward", Tensor.prototype.backward);

export interface CompileOptions {
  /** A graph break (host read, untraced tensor) is an error naming the op instead of an eager fallback. */
  fullGraph?: boolean;
  /**
   * What a replay runs: "kernels" (default) the backend kernel calls captured from two eager runs
   * of the step, with planned memory and no op dispatch or autograd (cpu and native backends; it
   * falls back to "ops" with a recorded reason when the step cannot be captured); "ops" the traced
   * op sequence.
   */
  replay?: "kernels" | "ops";
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
  /** Calls that traced the op graph (run eagerly). */
  traces: number;
  /** Calls that replayed the traced op sequence. */
  replays: number;
  /** Calls run eagerly while capturing their kernel calls for a kernel plan. */
  captures: number;
  /** Calls that replayed a kernel plan. */
  kernelReplays: number;
  /** Calls run eagerly because of a graph break. */
  eager: number;
  /** Buffers the backend handed out (alloc, fromHost) during the last call: 0 for a kernel replay. */
  allocationsLastCall: number;
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
  /** The kernel plan replays run, once captured (null before, or when it fell back). */
  readonly kernels: KernelPlanSummary | null;
  /** Why this specialisation replays ops rather than kernels (null while it does not). */
  readonly kernelFallback: string | null;
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
  kernelPlan: KernelPlan | null;
  /** The first of two agreeing captures a kernel plan is built from. */
  firstCapture: KernelCapture | null;
  /** Captures compared so far without agreement (warm-up steps may differ). */
  disagreements: number;
  kernelFallback: string | null;
  /** Why the op sequence cannot replay (only a kernel plan can), or empty. */
  opBreaks: GraphBreak[];
  readonly kernels: KernelPlanSummary | null;
}

/** At most this many specialisations per function (as torch's cache limit); the oldest goes. */
const MAX_PLANS = 8;
const OPTIONS = ["fullGraph", "replay"];
/** Captures that may disagree (a first optimizer step, a lazily built buffer) before kernel replay gives up. */
const MAX_DISAGREEMENTS = 3;
/** The backends whose buffers are typed arrays a kernel plan can place in its own arena. */
const TYPED_ARRAY_BACKENDS = ["cpu", "native"];

export function compile<A extends unknown[], R>(fn: (...args: A) => R, options: CompileOptions = {}): CompiledFunction<A, R> {
  checkOptions("compile", options, OPTIONS);
  if (typeof fn !== "function") throw new TypeError(`compile: expected a function, got ${typeof fn}`);
  const fullGraph = options.fullGraph ?? false;
  const mode = options.replay ?? "kernels";
  if (mode !== "kernels" && mode !== "ops") throw new Error(`compile: replay must be "kernels" or "ops", got ${JSON.stringify(mode)}`);
  const plans = new Map<string, Plan>();
  const breaks: GraphBreak[] = [];
  const stats: CompileStats = { traces: 0, replays: 0, captures: 0, kernelReplays: 0, eager: 0, allocationsLastCall: 0 };
  let last: Plan | null = null;

  const call = function (this: unknown, args: A): R {
    if (breaks.length > 0) {
      stats.eager++;
      return fn.apply(this, args);
    }
    // Inside another recording or kernel capture (an ONNX export, an outer compile) run as plain code, recorded by it.
    if (activeRecorder() !== null || kernelCaptureActive()) return fn.apply(this, args);
    const inputs: Tensor[] = [];
    const key = guardKey(args, inputs);
    const plan = plans.get(key);
    if (plan && planValid(plan)) {
      last = plan;
      if (mode === "kernels" && plan.kernelFallback === null) {
        const out = runKernels(plan, inputs, () => fn.apply(this, args), stats) as R;
        if (plan.kernelFallback === null || plan.opBreaks.length === 0) return out;
        // Neither kernels nor ops can replay it: a graph break after all.
        breaks.push(...plan.opBreaks);
        plans.clear();
        last = null;
        return out;
      }
      stats.replays++;
      return replay(plan, inputs) as R;
    }
    stats.traces++;
    const traced = trace(fn, this, args, inputs, key, fullGraph, breaks, mode === "kernels");
    if (traced.plan) {
      plans.delete(key);
      // Plans of an older state epoch (before a train/eval switch) can never match again: drop their buffers.
      for (const [k, p] of plans) if (p.epoch !== traced.plan.epoch) plans.delete(k);
      if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value as string);
      plans.set(key, traced.plan);
    }
    last = traced.plan;
    return traced.result;
  };

  const compiled = function (this: unknown, ...args: A): R {
    const counted = countAllocations(activeBackend(), () => call.call(this, args));
    stats.allocationsLastCall = counted.allocations;
    return counted.result;
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
 * What a plan specialises on: each argument's shape, dtype, device and requiresGrad (tensors), value
 * (numbers, strings, booleans) or identity (other objects); which tensor arguments are the same
 * tensor; grad mode; and the state epoch (modules switching between train and eval).
 */
function guardKey(args: unknown[], inputs: Tensor[]): string {
  const parts: string[] = [isGradEnabled() ? "grad" : "nograd", `epoch ${stateEpoch()}`];
  const visit = (a: unknown): void => {
    if (a instanceof Tensor) {
      const same = inputs.indexOf(a);
      inputs.push(a);
      parts.push(same >= 0 ? `=${same}` : `T[${a.shape.join(",")}]${a.dtype}@${a.device}${a.requiresGrad ? "g" : ""}`);
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
  fn: (...args: any[]) => R, self: unknown, args: unknown[], inputs: Tensor[], key: string, fullGraph: boolean, breaks: GraphBreak[], kernels: boolean,
): { result: R; plan: Plan | null } {
  const rec = new GraphRecorder();
  rec.keepRawArgs = true;
  inputs.forEach((t, i) => rec.addInput(t, `in${i}`));
  const firstNew = Tensor.peekNextId();
  const epoch = stateEpoch();
  const hostReads: GraphBreak[] = [];
  const previousHook = setHostReadHook((op, t) => {
    // Reads inside an op or an effect (validating indices, the optimizer's own work) replay with it.
    if (activeRecorder() !== rec || rec.depth > 0 || inHostCheck()) return;
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
    // What the op tracer cannot see (a tensor made by untraced code, an untraced in-place write) a
    // kernel capture does see: such a plan may still replay kernels, and breaks only if it cannot.
    if (kernels && hostReads.length === 0) return { result, plan: buildPlan(graph, key, epoch, result, found) };
    breaks.push(...found);
    return { result, plan: null };
  }
  return { result, plan: buildPlan(graph, key, epoch, result, []) };
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

function buildPlan(traced: Graph, key: string, epoch: number, result: unknown, opBreaks: GraphBreak[]): Plan {
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
  return {
    graph, removed, key, steps, captured, inputIds: graph.inputs.map((v) => v.id), result: template(result, graph.output), epoch, size: graph.values.length,
    kernelPlan: null, firstCapture: null, disagreements: 0, kernelFallback: null, opBreaks,
    get kernels() {
      return this.kernelPlan?.summary ?? null;
    },
  };
}

// ---- kernel plans ----------------------------------------------------------------------------------

/**
 * A call of a traced specialisation in kernel mode: replay its kernel plan when it has one whose
 * guards hold; otherwise run the function eagerly under kernel capture, and once two captures
 * agree, build the plan (or record why there is none, after which the op sequence replays).
 */
function runKernels(plan: Plan, inputs: Tensor[], runEagerly: () => unknown, stats: CompileStats): unknown {
  if (plan.kernelPlan !== null) {
    if (plan.kernelPlan.valid(inputs)) {
      stats.kernelReplays++;
      return plan.kernelPlan.run(inputs);
    }
    // A parameter, gradient or optimizer state was replaced, or an option changed: capture again.
    plan.kernelPlan = null;
  }
  const backends = [activeBackend(), ...inputs.map((t) => t.backend)];
  const unsupported = backends.find((b) => !TYPED_ARRAY_BACKENDS.includes(b.name));
  if (unsupported) {
    plan.kernelFallback = `kernel replay needs a backend whose buffers are typed arrays (${TYPED_ARRAY_BACKENDS.join(", ")}), not ${unsupported.name}`;
    if (plan.opBreaks.length > 0) {
      stats.eager++;
      return runEagerly();
    }
    stats.replays++;
    return replay(plan, inputs);
  }
  stats.captures++;
  const { result, capture } = captureKernels(withHost(backends), runEagerly);
  if (capture.problems.length > 0) {
    plan.kernelFallback = capture.problems[0];
    plan.firstCapture = null;
  } else if (plan.firstCapture === null) plan.firstCapture = capture;
  else {
    const built = buildKernelPlan(plan.firstCapture, capture, { inputs, result, owners: plan.captured.map((c) => c.tensor) });
    plan.firstCapture = null;
    if (built instanceof KernelPlan) plan.kernelPlan = built;
    else if (built.disagree && ++plan.disagreements < MAX_DISAGREEMENTS) plan.firstCapture = capture;
    else plan.kernelFallback = built.reason;
  }
  return result;
}

/** The backends to hook: those given, and cpu, which native hands the kernels it does not cover to. */
function withHost(backends: Backend[]): Backend[] {
  return [...new Set([...backends, getBackendByName("cpu", "compile")])];
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
    kernelLine(plan),
    line(head),
    ...rows.map(line),
    `returns ${valuesIn(g.output).map(ref).join(", ") || "no tensor"}`,
  ].join("\n");
}

/** One line on the plan's kernel-level replay: what it holds, or why there is none. */
function kernelLine(plan: CompiledPlan): string {
  const opBreaks = (plan as Partial<Plan>).opBreaks ?? [];
  return kernelSummary(plan) + (opBreaks.length ? `; op replay impossible: ${opBreaks[0].reason}` : "");
}

function kernelSummary(plan: CompiledPlan): string {
  const k = plan.kernels;
  if (k === null) return plan.kernelFallback ? `kernel plan: none, replaying ops (${plan.kernelFallback})` : "kernel plan: not captured yet";
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  const b = k.buffers;
  return `kernel plan: ${k.kernels} kernel calls, ${k.providers} argument providers, ${k.effects} JavaScript effects; buffers: ${b.input} input, ` +
    `${b.external} external, ${b.persistent} persistent, ${b.output} output, ${b.local} local in ${k.slots} arena slots (${mb(k.arenaBytes)}, ${mb(k.naiveBytes)} unplanned)`;
}
