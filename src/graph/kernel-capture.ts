// Kernel-level capture: run a function eagerly while every call into the typed-array backends (cpu,
// native) is recorded — each kernel with its views and scalar arguments, each buffer allocation,
// upload and free, each host read — together with what makes a later run differ: argument
// providers (step-args.ts: optimizer scalars, random counters) and effects that do no backend work
// (an lr scheduler's step) and so must run again as JavaScript. kernel-plan.ts turns two such
// captures into a replayable plan. Calls a kernel makes inside itself (a cpu kernel calling
// another, native falling back to cpu) are not recorded: replaying the outer call makes them again.

import type { Backend, View } from "../backend/backend.js";
import { dtypeOfArray, type DType, type TypedArray } from "../core/dtype.js";
import { Generator } from "../tensor/random.js";
import { setStepArgsObserver } from "./step-args.js";
import { setEffectObserver } from "./recorder.js";
import { inHostCheck, inHostDepends } from "./host-check.js";

/** Backend members that manage storage rather than compute: hooked separately. */
const STORAGE = new Set(["alloc", "fromHost", "free", "readSync", "read"]);

/** One logical buffer of the capture: an array from its allocation (or first use) to its free. */
export interface CapturedBuffer {
  readonly id: number;
  readonly array: TypedArray;
  /** "external": existed before the step (parameters, inputs, optimizer state). */
  readonly origin: "alloc" | "fromHost" | "external";
  readonly dtype: DType;
  readonly size: number;
  /** An allocation without `uninitialized`: the step relies on it being zero. */
  readonly zeroed: boolean;
  /** fromHost: the values uploaded (copied at capture). */
  readonly data?: TypedArray;
  /** Index of the event that created it (allocation, upload), or -1 for external buffers. */
  readonly createdAt: number;
  /** Whether the step freed it (a later allocation may then hand the same array out again). */
  freed: boolean;
  /** Whether a kernel has been given it so far (host reads of such buffers may see step values). */
  used: boolean;
}

export type ArgRecord =
  | { kind: "view"; buffer: number; dtype: DType; shape: number[]; strides: number[]; offset: number }
  | { kind: "literal"; value: unknown }
  /** The value a provider event computes at replay (field: one member of it, e.g. a draw's seed). */
  | { kind: "provided"; provider: number; field?: string };

export type CaptureEvent =
  | { kind: "kernel"; backend: Backend; name: string; fn: (...a: unknown[]) => unknown; args: ArgRecord[]; returned: unknown }
  /** A buffer came into being: replay zeroes (zeroed allocation) or re-uploads (fromHost) it here. */
  | { kind: "create"; buffer: number }
  /**
   * bound: "object" when a kernel takes the whole result (a fused update's options), "fields" when
   * only scalars equal to its members were bound (a composite update's fill values), false when nothing took it.
   */
  | { kind: "provider"; source: "stepArgs" | "generator"; compute: () => object; value: object; generator?: Generator; n?: number; bound: "object" | "fields" | false }
  /** An effect that did no backend work: replay calls it again. */
  | { kind: "effect"; name: string; fn: (...a: unknown[]) => unknown; self: unknown; args: unknown[] }
  /** A host read; `check`: inside hostCheck (it only validates). */
  | { kind: "read"; buffer: number; usedBefore: boolean; check: boolean };

/** An optimizer.step() the capture saw, and the providers registered inside it. */
export interface CapturedOptimizerStep {
  optimizer: unknown;
  providers: number[];
}

export class KernelCapture {
  readonly events: CaptureEvent[] = [];
  readonly buffers: CapturedBuffer[] = [];
  /** The logical buffer each array currently is. */
  readonly current = new Map<TypedArray, number>();
  /** Problems that rule a kernel plan out (the first is reported). */
  readonly problems: string[] = [];
  readonly optimizerSteps: CapturedOptimizerStep[] = [];
  /** Objects effects were called on (optimizers, schedulers), for guards. */
  readonly effectTargets = new Set<unknown>();
  /** Backend calls made (kernels, storage, draws): effects that made none are plain JavaScript. */
  activity = 0;
  /** >0 inside a recorded kernel call: calls it makes are not recorded. */
  depth = 0;
  private effectDepth = 0;
  private readonly pendingArgs = new Map<object, number>();
  /** The latest stepArgs provider inside the running effect: fill values may be its members. */
  private lastStepArgs = -1;

  private bufferOf(array: TypedArray, dtype: DType): number {
    const known = this.current.get(array);
    if (known !== undefined) return known;
    return this.newBuffer(array, "external", dtype, array.length, false, -1);
  }

  private newBuffer(array: TypedArray, origin: CapturedBuffer["origin"], dtype: DType, size: number, zeroed: boolean, createdAt: number, data?: TypedArray): number {
    const id = this.buffers.length;
    this.buffers.push({ id, array, origin, dtype, size, zeroed, data, createdAt, freed: false, used: false });
    this.current.set(array, id);
    return id;
  }

  noteCreate(array: TypedArray, origin: "alloc" | "fromHost", dtype: DType, size: number, zeroed: boolean): void {
    this.activity++;
    const at = this.events.length;
    const id = this.newBuffer(array, origin, dtype, size, zeroed, at, origin === "fromHost" ? array.slice() : undefined);
    this.events.push({ kind: "create", buffer: id });
  }

  noteFree(array: TypedArray): void {
    this.activity++;
    const id = this.current.get(array);
    if (id === undefined) return;
    const b = this.buffers[id];
    b.freed = true;
    if (b.origin === "external" && b.used) this.problems.push(`a buffer of ${b.size} ${b.dtype} elements that existed before the step was freed during it after a kernel used it`);
    this.current.delete(array);
  }

  noteRead(array: TypedArray, dtype: DType): void {
    this.activity++;
    if (inHostDepends()) this.problems.push(`an op reads ${array.length} ${dtype} values on the host and chooses its kernels by them`);
    const id = this.bufferOf(array, dtype);
    this.events.push({ kind: "read", buffer: id, usedBefore: this.buffers[id].used, check: inHostCheck() });
  }

  noteProvider(source: "stepArgs" | "generator", compute: () => object, value: object, generator?: Generator, n?: number): void {
    this.activity++;
    const at = this.events.length;
    this.events.push({ kind: "provider", source, compute, value, generator, n, bound: false });
    if (source === "stepArgs") {
      this.pendingArgs.set(value, at);
      this.lastStepArgs = at;
    }
    const step = this.optimizerSteps[this.optimizerSteps.length - 1];
    if (source === "stepArgs" && step && this.effectDepth > 0) step.providers.push(at);
  }

  noteKernel(backend: Backend, name: string, fn: (...a: unknown[]) => unknown, args: unknown[], returned: unknown): void {
    this.activity++;
    const recs: ArgRecord[] = args.map((a) => this.argRecord(a));
    if (name === "random") this.bindDraw(recs, args);
    if (name === "fill") this.bindScalar(recs, 1, args[1]);
    this.events.push({ kind: "kernel", backend, name, fn, args: recs, returned });
  }

  private argRecord(a: unknown): ArgRecord {
    if (isView(a)) {
      const id = this.bufferOf(a.buf as TypedArray, a.dtype);
      this.buffers[id].used = true;
      return { kind: "view", buffer: id, dtype: a.dtype, shape: [...a.shape], strides: [...a.strides], offset: a.offset };
    }
    if (a !== null && typeof a === "object") {
      const provider = this.pendingArgs.get(a);
      if (provider !== undefined) {
        (this.events[provider] as Extract<CaptureEvent, { kind: "provider" }>).bound = "object";
        return { kind: "provided", provider };
      }
      return { kind: "literal", value: structuredClone(a) };
    }
    return { kind: "literal", value: a };
  }

  /** random(out, dist, seed, offset): bind seed and offset to the draw that reserved them. */
  private bindDraw(recs: ArgRecord[], args: unknown[]): void {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (e.kind !== "provider" || e.source !== "generator" || e.bound) continue;
      const v = e.value as { seed: bigint; offset: bigint };
      if (v.seed === args[2] && v.offset === args[3]) {
        e.bound = "object";
        recs[2] = { kind: "provided", provider: i, field: "seed" };
        recs[3] = { kind: "provided", provider: i, field: "offset" };
      }
      return;
    }
  }

  /**
   * A scalar made on the device inside an optimizer step (a composite update's fill): when it
   * equals a member of that step's latest stepArgs result, it is that member (Adam's bias
   * corrections), recomputed per replay. A constant that only happens to be equal stays correct:
   * the optimizer counts as composite, so a change of its options captures again, and a
   * coincidence in one capture only makes the two captures disagree.
   */
  private bindScalar(recs: ArgRecord[], index: number, value: unknown): void {
    if (typeof value !== "number" || this.effectDepth === 0 || this.lastStepArgs < 0) return;
    const e = this.events[this.lastStepArgs] as Extract<CaptureEvent, { kind: "provider" }>;
    for (const [field, v] of Object.entries(e.value)) {
      if (typeof v === "number" && Object.is(v, value)) {
        if (e.bound === false) e.bound = "fields";
        recs[index] = { kind: "provided", provider: this.lastStepArgs, field };
        return;
      }
    }
  }

  /** An effect (effectful() in recorder.ts) called during the capture. */
  runEffect(name: string, fn: (...a: unknown[]) => unknown, args: unknown[], self: unknown): unknown {
    if (this.effectDepth > 0 || this.depth > 0) return fn.apply(self, args);
    this.effectTargets.add(self);
    if (name === "optimizer.step") this.optimizerSteps.push({ optimizer: self, providers: [] });
    const before = this.activity;
    this.effectDepth++;
    let out: unknown;
    try {
      out = fn.apply(self, args);
    } finally {
      this.effectDepth--;
      this.lastStepArgs = -1;
    }
    if (this.activity === before) this.events.push({ kind: "effect", name, fn, self, args });
    return out;
  }
}

function isView(a: unknown): a is View {
  return a !== null && typeof a === "object" && ArrayBuffer.isView((a as View).buf) && Array.isArray((a as View).shape) && typeof (a as View).offset === "number";
}

let active: KernelCapture | null = null;

/** Whether a kernel capture is running (a compiled function called inside one runs eagerly, to be captured). */
export function kernelCaptureActive(): boolean {
  return active !== null;
}

// Every draw from a generator (random ops, host-side shuffles) is a provider while a capture runs.
const originalNext = Generator.prototype.next;
Generator.prototype.next = function next(this: Generator, n: number) {
  const r = originalNext.call(this, n);
  if (active !== null && active.depth === 0) active.noteProvider("generator", () => originalNext.call(this, n), r, this, n);
  return r;
};

/**
 * Run fn with every kernel and storage call of `backends` recorded (they must hold their buffers in
 * typed arrays). Hooks are removed afterwards, also when fn throws.
 */
export function captureKernels<T>(backends: readonly Backend[], fn: () => T): { result: T; capture: KernelCapture } {
  if (active !== null) throw new Error("compile: kernel capture does not nest (internal error)");
  const cap = new KernelCapture();
  const restore: (() => void)[] = [];
  for (const b of new Set(backends)) restore.push(hookBackend(b, cap));
  const previousArgs = setStepArgsObserver((compute, value) => {
    if (cap.depth === 0) cap.noteProvider("stepArgs", compute, value);
  });
  const previousEffect = setEffectObserver((name, f, args, self) => cap.runEffect(name, f, args, self));
  active = cap;
  try {
    return { result: fn(), capture: cap };
  } finally {
    active = null;
    setEffectObserver(previousEffect);
    setStepArgsObserver(previousArgs);
    for (const r of restore.reverse()) r();
  }
}

/** Replace b's members with recording wrappers; returns what puts the originals back. */
function hookBackend(b: Backend, cap: KernelCapture): () => void {
  const target = b as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== "function") continue;
    const fn = value as (...a: unknown[]) => unknown;
    originals.set(name, value);
    let wrapper: (...a: unknown[]) => unknown;
    if (!STORAGE.has(name)) {
      wrapper = (...args) => {
        if (cap.depth > 0) return fn.apply(b, args);
        cap.depth++;
        let out: unknown;
        try {
          out = fn.apply(b, args);
        } finally {
          cap.depth--;
        }
        cap.noteKernel(b, name, fn, args, out);
        return out;
      };
    } else if (name === "alloc") {
      wrapper = (dtype, size, uninitialized) => {
        const buf = fn.call(b, dtype, size, uninitialized) as TypedArray;
        if (cap.depth === 0) cap.noteCreate(buf, "alloc", dtype as DType, size as number, uninitialized !== true);
        return buf;
      };
    } else if (name === "fromHost") {
      wrapper = (data) => {
        const buf = fn.call(b, data) as TypedArray;
        if (cap.depth === 0) cap.noteCreate(buf, "fromHost", dtypeOfArray(buf), buf.length, false);
        return buf;
      };
    } else if (name === "free") {
      wrapper = (buf) => {
        if (cap.depth === 0) cap.noteFree(buf as TypedArray);
        return fn.call(b, buf);
      };
    } else {
      wrapper = (buf, dtype, ...rest) => {
        if (cap.depth === 0) cap.noteRead(buf as TypedArray, dtype as DType);
        return fn.call(b, buf, dtype, ...rest);
      };
    }
    target[name] = wrapper;
  }
  return () => {
    for (const [name, value] of originals) target[name] = value;
  };
}

/** Count the buffers `backend` hands out (alloc and fromHost) while fn runs. */
export function countAllocations<T>(backend: Backend, fn: () => T): { result: T; allocations: number } {
  const target = backend as unknown as Record<string, (...a: unknown[]) => unknown>;
  const alloc = target.alloc, fromHost = target.fromHost;
  let n = 0;
  target.alloc = (...a) => (n++, alloc.apply(backend, a));
  target.fromHost = (...a) => (n++, fromHost.apply(backend, a));
  try {
    return { result: fn(), allocations: n };
  } finally {
    target.alloc = alloc;
    target.fromHost = fromHost;
  }
}
