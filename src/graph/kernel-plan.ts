// The kernel plan: a compiled step replayed as the backend kernel calls it made, with no op
// dispatch, autograd or tidy bookkeeping and no allocation. Built from two kernel captures of the
// same step (kernel-capture.ts): they must agree call for call — same kernels, same view
// geometry, same buffer roles, same scalars except those argument providers recompute — so a
// scalar that changes between steps without a provider is caught instead of replayed stale.
//
// Buffers, by role:
// - input: a tensor argument's buffer, rebound to the caller's tensor on every replay;
// - external: existed before the step and belongs to a tensor compile can see (a parameter, a
//   module buffer, optimizer state): used in place; a guard checks the tensor still holds it;
// - persistent: made during the step and still held afterwards by such a tensor (a .grad set to
//   none by zeroGrad and made again by backward): the plan keeps writing that same array;
// - output: the returned tensors' buffers, plan-owned: each replay returns new tensor objects on
//   them, which the next replay overwrites (as CUDA-graph outputs);
// - local: everything else, placed in a plan-owned arena by memory-plan.ts.

import type { Backend, View } from "../backend/backend.js";
import { arrayFor, itemSize, type DType, type TypedArray } from "../core/dtype.js";
import { formatShape } from "../core/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { Storage } from "../tensor/storage.js";
import type { ArgRecord, CaptureEvent, KernelCapture } from "./kernel-capture.js";
import { planMemory, type Lifetime } from "./memory-plan.js";

/** What a kernel plan holds, for compiled.plan and the graph table. */
export interface KernelPlanSummary {
  /** Kernel calls replayed per step. */
  kernels: number;
  /** Argument providers run per step (optimizer scalars, random draws). */
  providers: number;
  /** Effects replayed as JavaScript (lr scheduler steps). */
  effects: number;
  buffers: { input: number; external: number; persistent: number; output: number; local: number };
  /** Arena slots holding the local buffers, their total size, and what one buffer each would take. */
  slots: number;
  arenaBytes: number;
  naiveBytes: number;
}

/** What the plan needs to know beyond the captures. */
export interface KernelPlanContext {
  /** The tensor arguments of the second capture's call, in guard order. */
  inputs: readonly Tensor[];
  /** That call's result. */
  result: unknown;
  /** Tensors the op-level graph captured (parameters, module buffers, constants). */
  owners: readonly Tensor[];
}

type Role = "input" | "external" | "persistent" | "output" | "local";

/** Option keys an optimizer's step arguments carry: a covered optimizer may change them freely. */
const PROVIDED_OPTIONS = new Set(["lr", "betas", "eps", "weightDecay", "dampening", "initialLr"]);

interface OptimizerLike {
  paramGroups: (Record<string, unknown> & { params: Tensor[] })[];
  state: Map<Tensor, Record<string, unknown>>;
}

function isOptimizer(o: unknown): o is OptimizerLike {
  return o !== null && typeof o === "object" && Array.isArray((o as OptimizerLike).paramGroups) && (o as OptimizerLike).state instanceof Map;
}

/** The options of an optimizer's groups that a plan specialised on, as one string. */
function optionsKey(o: OptimizerLike, covered: boolean): string {
  return JSON.stringify(o.paramGroups.map((g) => [g.params.length, Object.entries(g).filter(([k]) => k !== "params" && !(covered && PROVIDED_OPTIONS.has(k)))]));
}

export class KernelPlan {
  constructor(
    private readonly steps: (() => void)[],
    private readonly inputViews: { buf: unknown }[][],
    private readonly inputGeometry: { offset: number; strides: number[] }[],
    private readonly guards: (() => boolean)[],
    private readonly output: (inputs: readonly Tensor[]) => unknown,
    readonly summary: KernelPlanSummary,
  ) {}

  /** Whether every tensor the plan uses in place still holds the buffer it captured, and the inputs have its layout. */
  valid(inputs: readonly Tensor[]): boolean {
    for (let i = 0; i < inputs.length; i++) {
      const g = this.inputGeometry[i], t = inputs[i];
      if (t.offset !== g.offset || t.strides.some((s, k) => s !== g.strides[k])) return false;
    }
    for (const g of this.guards) if (!g()) return false;
    return true;
  }

  run(inputs: readonly Tensor[]): unknown {
    for (let i = 0; i < this.inputViews.length; i++) {
      const buf = inputs[i].storage.buf;
      for (const v of this.inputViews[i]) v.buf = buf;
    }
    for (const s of this.steps) s();
    return this.output(inputs);
  }
}

/** Why two captures of one step differ (so the step cannot be replayed from either), or null. */
export function compareCaptures(a: KernelCapture, b: KernelCapture): string | null {
  if (a.events.length !== b.events.length) return `the two captured steps made different numbers of backend calls (${a.events.length} and ${b.events.length})`;
  const map = new Map<number, number>();
  const same = (x: number, y: number): boolean => {
    const m = map.get(x);
    if (m !== undefined) return m === y;
    const bx = a.buffers[x], by = b.buffers[y];
    if (bx.origin !== by.origin || bx.dtype !== by.dtype || bx.size !== by.size || bx.zeroed !== by.zeroed) return false;
    map.set(x, y);
    return true;
  };
  for (let i = 0; i < a.events.length; i++) {
    const x = a.events[i], y = b.events[i];
    const where = `call ${i} (${x.kind === "kernel" ? `kernel ${x.name}` : x.kind})`;
    if (x.kind !== y.kind) return `${where}: the two captured steps differ (${y.kind} in the second)`;
    if (x.kind === "kernel" && y.kind === "kernel") {
      if (x.name !== y.name || x.backend !== y.backend || x.args.length !== y.args.length) return `${where}: the second step called kernel ${y.name}`;
      for (let k = 0; k < x.args.length; k++) {
        const p = x.args[k], q = y.args[k];
        if (p.kind !== q.kind) return `${where}: argument ${k} differs between the two steps`;
        if (p.kind === "view" && q.kind === "view") {
          if (p.dtype !== q.dtype || p.offset !== q.offset || !sameList(p.shape, q.shape) || !sameList(p.strides, q.strides) || !same(p.buffer, q.buffer)) {
            return `${where}: argument ${k} is a different view in the second step`;
          }
        } else if (p.kind === "literal" && q.kind === "literal") {
          if (!sameValue(p.value, q.value)) return `${where}: scalar argument ${k} changed between steps (${show(p.value)} then ${show(q.value)}) and nothing recomputes it`;
        } else if (p.kind === "provided" && q.kind === "provided" && (p.provider !== q.provider || p.field !== q.field)) {
          return `${where}: argument ${k} comes from another provider in the second step`;
        }
      }
      if (typeof x.returned !== typeof y.returned || (typeof x.returned === "boolean" && x.returned !== y.returned)) return `${where}: the kernel returned differently in the two steps`;
    } else if (x.kind === "create" && y.kind === "create") {
      if (!same(x.buffer, y.buffer)) return `${where}: the second step allocated another buffer`;
      const dx = a.buffers[x.buffer].data, dy = b.buffers[y.buffer].data;
      if (dx && dy && !sameList(Array.from(dx), Array.from(dy))) return `${where}: values uploaded from the host changed between steps (${a.buffers[x.buffer].size} elements)`;
    } else if (x.kind === "provider" && y.kind === "provider") {
      if (x.source !== y.source || x.generator !== y.generator || x.n !== y.n || x.bound !== y.bound) return `${where}: the steps drew differently`;
    } else if (x.kind === "effect" && y.kind === "effect") {
      if (x.fn !== y.fn) return `${where}: another effect ran in the second step`;
    } else if (x.kind === "read" && y.kind === "read" && !same(x.buffer, y.buffer)) {
      return `${where}: the steps read other buffers on the host`;
    }
  }
  return null;
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function show(v: unknown): string {
  return typeof v === "bigint" ? `${v}n` : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
}

function containsTensor(v: unknown, depth = 0): boolean {
  if (v instanceof Tensor) return true;
  if (depth > 4 || v === null || typeof v !== "object") return false;
  return Object.values(v).some((x) => containsTensor(x, depth + 1));
}

/**
 * A replayable plan from two agreeing captures (the second is used), or why there is none;
 * `disagree` says the captures differed (a later pair, past warm-up, may agree).
 */
export function buildKernelPlan(first: KernelCapture, cap: KernelCapture, ctx: KernelPlanContext): KernelPlan | { reason: string; disagree: boolean } {
  if (cap.problems.length) return { reason: cap.problems[0], disagree: false };
  const differ = compareCaptures(first, cap);
  if (differ) return { reason: differ, disagree: true };

  // Who owns each array now that the step is over (guards re-check exactly this before a replay).
  const owners = new Map<unknown, () => boolean>();
  const own = (t: Tensor | null | undefined, holds: () => Tensor | null | undefined) => {
    if (!t || t.isDisposed) return;
    const buf = t.storage.buf;
    owners.set(buf, () => {
      const now = holds();
      return now === t && !t.isDisposed && t.storage.buf === buf;
    });
  };
  const optimizers = [...cap.effectTargets].filter(isOptimizer);
  for (const t of ctx.owners) {
    own(t, () => t);
    if (t.grad) own(t.grad, () => t.grad);
  }
  for (const o of optimizers) {
    for (const g of o.paramGroups) for (const p of g.params) {
      own(p, () => p);
      own(p.grad, () => p.grad);
    }
    for (const [p, st] of o.state) {
      for (const [k, v] of Object.entries(st)) if (v instanceof Tensor) own(v, () => o.state.get(p)?.[k] as Tensor | undefined);
    }
  }
  const inputOf = new Map<unknown, number>();
  ctx.inputs.forEach((t, i) => {
    if (!inputOf.has(t.storage.buf)) inputOf.set(t.storage.buf, i);
  });

  // Which buffers the result returns, and how each result tensor comes back.
  const problems: string[] = [];
  // backward() is an effect called on the loss tensor.
  const hasBackward = [...cap.effectTargets].some((t) => t instanceof Tensor);
  const outputIds = new Set<number>();
  const resultTemplate = templateOf(ctx.result, (t) => {
    if (t.requiresGrad && !t.isLeaf && !hasBackward) problems.push(`the result (shape ${formatShape(t.shape)}) carries an autograd graph a replay cannot give it; call backward inside the compiled function or run it under noGrad`);
    const i = ctx.inputs.indexOf(t);
    if (i >= 0) return { input: i };
    const id = cap.current.get(t.storage.buf as TypedArray);
    const b = id === undefined ? undefined : cap.buffers[id];
    if (b && b.origin !== "external" && !owners.has(b.array)) {
      outputIds.add(b.id);
      return { buffer: b.id, backend: t.backend, dtype: t.dtype, shape: [...t.shape], strides: [...t.strides], offset: t.offset };
    }
    if (owners.has(t.storage.buf)) return { tensor: t };
    problems.push(`the result (shape ${formatShape(t.shape)}) is a tensor made outside the step that compile cannot track`);
    return { tensor: t };
  });

  // Roles, and each buffer's lifetime over the event positions.
  const role: Role[] = [];
  const start: number[] = [], end: number[] = [];
  const touch = (id: number, at: number) => {
    if (start[id] === undefined) start[id] = at;
    end[id] = at;
  };
  cap.events.forEach((e, at) => {
    if (e.kind === "kernel") for (const a of e.args) if (a.kind === "view") touch(a.buffer, at);
    if (e.kind === "create" && (cap.buffers[e.buffer].zeroed || cap.buffers[e.buffer].origin === "fromHost")) touch(e.buffer, at);
  });
  const guards: (() => boolean)[] = [];
  for (const b of cap.buffers) {
    if (outputIds.has(b.id)) role[b.id] = "output";
    else if (start[b.id] === undefined) continue;
    else if (b.origin === "external") {
      const input = inputOf.get(b.array);
      if (input !== undefined) role[b.id] = "input";
      else if (owners.has(b.array)) {
        role[b.id] = "external";
        guards.push(owners.get(b.array)!);
      } else problems.push(`a kernel uses a buffer of ${b.size} ${b.dtype} elements that no parameter, optimizer state or input compile can see holds`);
    } else if (!b.freed && cap.current.get(b.array) === b.id && owners.has(b.array)) {
      role[b.id] = "persistent";
      guards.push(owners.get(b.array)!);
    } else role[b.id] = "local";
  }
  for (const e of cap.events) {
    if (e.kind === "read" && !e.check && (role[e.buffer] === "local" || role[e.buffer] === "output" || role[e.buffer] === "persistent" || e.usedBefore)) {
      problems.push(`a value computed during the step is read on the host inside an op (${cap.buffers[e.buffer].size} ${cap.buffers[e.buffer].dtype} elements): what follows may depend on it`);
    }
    if (e.kind === "kernel" && typeof e.returned === "number") problems.push(`kernel ${e.name} returns a data-dependent count`);
    if (e.kind === "effect" && !e.name.startsWith("scheduler.")) problems.push(`${e.name}() did no backend work in the captured step, so replay cannot stand in for it`);
    if (e.kind === "effect" && containsTensor(e.args)) problems.push(`${e.name}() is given a tensor computed in the step`);
  }
  const coveredOptimizers = new Set<unknown>();
  const uncovered = new Set<unknown>();
  for (const s of cap.optimizerSteps) {
    const covered = s.providers.length > 0 && s.providers.every((p) => (cap.events[p] as Extract<CaptureEvent, { kind: "provider" }>).bound === "object");
    (covered ? coveredOptimizers : uncovered).add(s.optimizer);
  }
  for (const o of uncovered) coveredOptimizers.delete(o);
  if (uncovered.size > 0 && cap.events.some((e) => e.kind === "effect")) {
    problems.push("an lr scheduler steps inside the function while the optimizer's update runs composite ops with its options baked in (no fused update kernel on this backend)");
  }
  if (hasBackward && ctx.inputs.some((t) => t.requiresGrad)) problems.push("an input requires grad: its .grad is a new tensor on every call, which a replay cannot make");
  if (problems.length) return { reason: problems[0], disagree: false };
  // Freezing a parameter (requiresGrad = false) changes which gradients backward makes.
  for (const t of new Set([...ctx.owners, ...optimizers.flatMap((o) => o.paramGroups.flatMap((g) => g.params))])) {
    const wants = t.requiresGrad;
    guards.push(() => t.requiresGrad === wants);
  }
  for (const o of optimizers) {
    const key = optionsKey(o, coveredOptimizers.has(o));
    guards.push(() => optionsKey(o, coveredOptimizers.has(o)) === key);
  }

  // Arrays: locals share arena slots, outputs get their own, the rest are the captured ones.
  const locals = cap.buffers.filter((b) => role[b.id] === "local");
  const lifetimes: Lifetime[] = locals.map((b) => ({ bytes: b.size * itemSize(b.dtype), start: start[b.id], end: end[b.id] }));
  const memory = planMemory(lifetimes);
  const slots = memory.slotBytes.map((n) => new ArrayBuffer(Math.max(8, Math.ceil(n / 8) * 8)));
  const arrays: (TypedArray | null)[] = cap.buffers.map((b) => (role[b.id] === "external" || role[b.id] === "persistent" ? b.array : role[b.id] === "output" ? arrayFor(b.dtype, b.size) : null));
  locals.forEach((b, i) => (arrays[b.id] = typedView(b.dtype, slots[memory.slotOf[i]], b.size)));

  // The steps.
  const values: object[] = [];
  const inputViews: { buf: unknown }[][] = ctx.inputs.map(() => []);
  const steps: (() => void)[] = [];
  let kernels = 0, providers = 0, effects = 0;
  cap.events.forEach((e, at) => {
    if (e.kind === "create") {
      const arr = arrays[e.buffer], b = cap.buffers[e.buffer];
      if (arr === null || start[e.buffer] === undefined) return;
      if (b.data) {
        const data = b.data;
        steps.push(() => arr.set(data));
      } else if (b.zeroed) steps.push(() => arr.fill(0));
    } else if (e.kind === "provider") {
      providers++;
      const compute = e.compute;
      steps.push(() => (values[at] = compute()));
    } else if (e.kind === "effect") {
      effects++;
      const { fn, self, args } = e;
      steps.push(() => fn.apply(self, args));
    } else if (e.kind === "kernel") {
      if (e.returned === false) return; // it declined and wrote nothing; the calls that followed did the work
      kernels++;
      steps.push(kernelStep(e, arrays, (id) => (role[id] === "input" ? inputOf.get(cap.buffers[id].array)! : -1), inputViews, values));
    }
  });

  const build = (t: OutputRef, inputs: readonly Tensor[]): Tensor => {
    if ("input" in t) return inputs[t.input];
    if ("tensor" in t) return t.tensor;
    const arr = arrays[t.buffer]!;
    return new Tensor(new Storage(t.backend, arr, t.dtype, arr.length), [...t.shape], [...t.strides], t.offset);
  };
  const output = (inputs: readonly Tensor[]) => resolveTemplate(resultTemplate, (t) => build(t, inputs));
  const count = (r: Role) => role.filter((x) => x === r).length;
  const summary: KernelPlanSummary = {
    kernels, providers, effects,
    buffers: { input: count("input"), external: count("external"), persistent: count("persistent"), output: count("output"), local: count("local") },
    slots: slots.length,
    arenaBytes: memory.slotBytes.reduce((n, x) => n + x, 0),
    naiveBytes: memory.naiveBytes,
  };
  const geometry = ctx.inputs.map((t) => ({ offset: t.offset, strides: [...t.strides] }));
  return new KernelPlan(steps, inputViews, geometry, guards, output, summary);
}

function typedView(dtype: DType, buffer: ArrayBuffer, size: number): TypedArray {
  switch (dtype) {
    case "float32": return new Float32Array(buffer, 0, size);
    case "float64": return new Float64Array(buffer, 0, size);
    case "int32": return new Int32Array(buffer, 0, size);
    case "bool": return new Uint8Array(buffer, 0, size);
  }
}

/** One kernel call with its arguments prepared once; provided ones are filled in per replay. */
function kernelStep(
  e: Extract<CaptureEvent, { kind: "kernel" }>, arrays: (TypedArray | null)[], inputIndex: (buffer: number) => number, inputViews: { buf: unknown }[][], values: object[],
): () => void {
  const provided: { index: number; provider: number; field?: string }[] = [];
  const args: unknown[] = e.args.map((a: ArgRecord, index) => {
    if (a.kind === "literal") return a.value;
    if (a.kind === "provided") {
      provided.push({ index, provider: a.provider, field: a.field });
      return undefined;
    }
    const v: View & { buf: unknown } = { buf: arrays[a.buffer], dtype: a.dtype, shape: a.shape, strides: a.strides, offset: a.offset };
    const input = inputIndex(a.buffer);
    if (input >= 0) inputViews[input].push(v);
    return v;
  });
  const { fn, backend, name } = e;
  const mustAccept = e.returned === true;
  return () => {
    for (let i = 0; i < provided.length; i++) {
      const p = provided[i];
      const value = values[p.provider];
      args[p.index] = p.field === undefined ? value : (value as Record<string, unknown>)[p.field];
    }
    const r = fn.apply(backend, args);
    if (mustAccept && r !== true) throw new Error(`compile: kernel ${name} declined on replay what it took when captured (internal error)`);
  };
}

type OutputRef =
  | { input: number }
  | { tensor: Tensor }
  | { buffer: number; backend: Backend; dtype: DType; shape: number[]; strides: number[]; offset: number };

class OutputSlot {
  constructor(readonly ref: OutputRef) {}
}

/** The result with each tensor replaced by where replay finds it (arrays and plain objects walked). */
function templateOf(v: unknown, ref: (t: Tensor) => OutputRef): unknown {
  if (v instanceof Tensor) return new OutputSlot(ref(v));
  if (Array.isArray(v)) return v.map((x) => templateOf(x, ref));
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = templateOf(x, ref);
    return o;
  }
  return v;
}

function resolveTemplate(t: unknown, make: (r: OutputRef) => Tensor): unknown {
  if (t instanceof OutputSlot) return make(t.ref);
  if (Array.isArray(t)) return t.map((x) => resolveTemplate(x, make));
  if (t !== null && typeof t === "object" && Object.getPrototypeOf(t) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(t)) o[k] = resolveTemplate(x, make);
    return o;
  }
  return t;
}
