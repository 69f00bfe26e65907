// The Tensor object: a strided view of reference-counted storage, plus the autograd fields.
// Operations are attached as methods by the modules under ops/ (each augments this class), so
// this file knows nothing of what the ops compute.

import type { Backend, View } from "../backend/backend.js";
import { type DType, type TypedArray, isFloating } from "../core/dtype.js";
import { contiguousStrides, formatShape, isContiguous, numelOf } from "../core/shape.js";
import { finalizer, track } from "./scope.js";
import { Storage } from "./storage.js";
import { formatTensor } from "./format.js";

/** What autograd attaches to a tensor produced by a differentiable op (see autograd/node.ts). */
export interface GradFn {
  readonly name: string;
  /** The output tensor, held only when it asked retainGrad(). */
  output: WeakRef<Tensor> | null;
}

let nextId = 1;

/** Told before a tensor's value is read on the host (item, dataSync, data); graph capture uses it to find graph breaks. */
let hostReadHook: ((op: string, t: Tensor) => void) | null = null;

/** Install (or, with null, remove) the host-read hook; returns the previous one. */
export function setHostReadHook(hook: ((op: string, t: Tensor) => void) | null): ((op: string, t: Tensor) => void) | null {
  const previous = hostReadHook;
  hostReadHook = hook;
  return previous;
}

export class Tensor {
  readonly id = nextId++;
  // Not readonly only so setData() can swap them; nothing else assigns them.
  shape: number[];
  strides: number[];
  offset: number;
  private _storage: Storage | null;
  private _requiresGrad = false;
  /** The accumulated gradient of a leaf (or of a non-leaf that called retainGrad()). */
  grad: Tensor | null = null;
  /** The graph node that produced this tensor; null for leaves. */
  gradFn: GradFn | null = null;
  /** Non-leaf tensors keep .grad only when asked, as in PyTorch. */
  retainsGrad = false;
  /** The storage version this tensor was saved at, when it is a saved-for-backward alias. */
  savedVersion = -1;

  /** The id the next tensor will get (ids only grow), to tell tensors made after a point. */
  static peekNextId(): number {
    return nextId;
  }

  /** @internal Use nb.tensor / nb.zeros / ops to make tensors. */
  constructor(storage: Storage, shape: number[], strides?: number[], offset = 0, untracked = false) {
    this._storage = storage;
    this.shape = shape;
    this.strides = strides ?? contiguousStrides(shape);
    this.offset = offset;
    if (!storage.backend.gcManaged) finalizer.register(this, storage, this);
    if (!untracked) track(this);
  }

  // ---- metadata ------------------------------------------------------------------------------
  get storage(): Storage {
    if (this._storage === null || this._storage.freed) {
      throw new Error(`Tensor has been disposed (shape ${formatShape(this.shape)}): it can no longer be read or used in an op`);
    }
    return this._storage;
  }
  get dtype(): DType {
    return (this._storage as Storage | null)?.dtype ?? "float32";
  }
  get backend(): Backend {
    return this.storage.backend;
  }
  get device(): string {
    return this.storage.backend.name;
  }
  get ndim(): number {
    return this.shape.length;
  }
  numel(): number {
    return numelOf(this.shape);
  }
  size(dim?: number): number | number[] {
    if (dim === undefined) return [...this.shape];
    return this.shape[dim < 0 ? dim + this.ndim : dim];
  }
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  get isDisposed(): boolean {
    return this._storage === null || this._storage.freed;
  }

  /** The strided description kernels work on (the op that reshapes is view(shape)). */
  raw(): View {
    const s = this.storage;
    return { buf: s.buf, dtype: s.dtype, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  // ---- autograd flags -------------------------------------------------------------------------
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    if (!this.isLeaf) {
      if (v) return;
      throw new Error("requiresGrad: only leaf tensors can change requiresGrad; use t.detach() to get a tensor without gradient");
    }
    if (v && !isFloating(this.dtype)) {
      throw new TypeError(`requiresGrad: only floating-point tensors can require gradients, this one is ${this.dtype}`);
    }
    this._requiresGrad = v;
  }
  /** Chainable form, as torch's requires_grad_(). */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }
  /** @internal Mark an op output as part of the graph. */
  setGraph(fn: GradFn): void {
    this.gradFn = fn;
    this._requiresGrad = true;
  }
  /** Keep .grad on a non-leaf after backward, as torch's retain_grad(). */
  retainGrad(): this {
    if (!this._requiresGrad) throw new Error("retainGrad: cannot retain the gradient of a tensor that does not require grad");
    this.retainsGrad = true;
    if (this.gradFn) this.gradFn.output = new WeakRef(this);
    return this;
  }
  /** Drop the accumulated gradient (PyTorch's default set_to_none behaviour). */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }
  /** A tensor sharing this one's storage, cut out of the graph. */
  detach(): Tensor {
    return new Tensor(this.storage.retain(), this.shape, this.strides, this.offset);
  }

  // ---- reading back --------------------------------------------------------------------------
  /** Row-major copy of the elements, synchronously (cpu and native backends). */
  dataSync(): TypedArray {
    if (hostReadHook !== null) hostReadHook("dataSync", this);
    const b = this.backend;
    if (!b.syncReadable) {
      throw new Error(`dataSync: the ${b.name} backend cannot be read synchronously; use await t.data()`);
    }
    const c = this.contiguousView();
    try {
      return b.readSync(c.storage.buf, this.dtype, c.offset, this.numel());
    } finally {
      if (c !== this) c.dispose();
    }
  }
  async data(): Promise<TypedArray> {
    if (hostReadHook !== null) hostReadHook("data", this);
    const c = this.contiguousView();
    try {
      return await this.backend.read(c.storage.buf, this.dtype, c.offset, this.numel());
    } finally {
      if (c !== this) c.dispose();
    }
  }
  /** Nested JavaScript arrays (numbers; booleans for bool tensors). */
  toArray(): unknown {
    const data = this.dataSync();
    const asBool = this.dtype === "bool";
    const build = (dim: number, start: number): unknown => {
      if (dim === this.ndim) return asBool ? data[start] !== 0 : data[start];
      const n = this.shape[dim];
      const step = numelOf(this.shape.slice(dim + 1));
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, start + i * step);
      return out;
    };
    return build(0, 0);
  }
  /** The value of a one-element tensor. */
  item(): number {
    if (hostReadHook !== null) hostReadHook("item", this);
    if (this.numel() !== 1) {
      throw new RangeError(`item: only one-element tensors can be converted to a number, this one has shape ${formatShape(this.shape)} (${this.numel()} elements)`);
    }
    const b = this.backend;
    if (!b.syncReadable) throw new Error(`item: the ${b.name} backend cannot be read synchronously; use (await t.data())[0]`);
    return b.readSync(this.storage.buf, this.dtype, this.offset, 1)[0];
  }

  /** This tensor if contiguous, else a contiguous copy (untracked; the caller disposes it). */
  private contiguousView(): Tensor {
    if (this.isContiguous()) return this;
    const b = this.backend;
    const size = this.numel();
    const out = new Tensor(new Storage(b, b.alloc(this.dtype, size, true), this.dtype, size), [...this.shape], undefined, 0, true);
    b.copy(this.raw(), out.raw());
    return out;
  }

  /**
   * Make this tensor object refer to src's data (PyTorch's `param.data = src`): its identity, and
   * so every reference held by optimizers and modules, stays; its graph history does not change.
   */
  setData(src: Tensor): void {
    const storage = src.storage.retain();
    if (this._storage) {
      finalizer.unregister(this);
      this._storage.release();
    }
    this._storage = storage;
    if (!storage.backend.gcManaged) finalizer.register(this, storage, this);
    this.shape = [...src.shape];
    this.strides = [...src.strides];
    this.offset = src.offset;
  }

  // ---- memory --------------------------------------------------------------------------------
  /** Release this tensor's hold on its storage now. Reading it afterwards is an error. */
  dispose(): void {
    if (this._storage === null) return;
    finalizer.unregister(this);
    this._storage.release();
    this._storage = null;
    if (this.grad) this.grad.dispose();
    this.grad = null;
  }

  toString(): string {
    return formatTensor(this);
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
