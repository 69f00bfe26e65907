// Shared plumbing for op definitions: operand checks, scalar operands, output allocation and
// broadcast views. Every op file builds on these.

import type { Backend, View } from "../backend/backend.js";
import { promoteTypes, promoteWithScalar, type DType } from "../core/dtype.js";
import { emptyTensor } from "../tensor/creation.js";
import { broadcastShapes, formatShape } from "../core/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { activeBackend } from "../backend/registry.js";
import { activeRecorder } from "../graph/recorder.js";

/** What binary ops accept: a tensor, or a JavaScript number/boolean as a weak scalar. */
export type TensorLike = Tensor | number | boolean;

export function assertTensor(op: string, t: unknown, argName = "input"): Tensor {
  if (!(t instanceof Tensor)) {
    throw new TypeError(`${op}: ${argName} must be a Tensor, got ${t === null ? "null" : Array.isArray(t) ? "an array (wrap it with nb.tensor)" : typeof t}`);
  }
  if (t.isDisposed) throw new Error(`${op}: ${argName} has been disposed (shape ${formatShape(t.shape)}) and can no longer be used`);
  return t;
}

/** The one backend all tensor operands live on; mixing devices is an error. */
export function commonBackend(op: string, ...ts: (Tensor | null | undefined)[]): Backend {
  let b: Backend | null = null;
  for (const t of ts) {
    if (!t) continue;
    if (b === null) b = t.backend;
    else if (t.backend !== b) {
      throw new Error(`${op}: tensors are on different devices (${b.name} and ${t.backend.name}); move them with t.to("${b.name}") first`);
    }
  }
  return b ?? activeBackend();
}

/** A kernel output: contents unspecified, the kernel writes every element (zerosOf when not). */
export function empty(shape: readonly number[], dtype: DType, backend: Backend): Tensor {
  return emptyTensor(shape, dtype, backend, true);
}

/** A 0-d tensor holding a scalar operand. */
export function scalar(value: number, dtype: DType, backend: Backend): Tensor {
  const t = emptyTensor([], dtype, backend);
  backend.fill(t.raw(), value);
  return t;
}

/** Result dtype of a binary op between two operands, following PyTorch's promotion. */
export function resultType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) {
    // A 0-d tensor does not widen a dimensioned one of the same category (torch's rule).
    if (a.ndim === 0 && b.ndim > 0 && category(a.dtype) <= category(b.dtype)) return b.dtype;
    if (b.ndim === 0 && a.ndim > 0 && category(b.dtype) <= category(a.dtype)) return a.dtype;
    return promoteTypes(a.dtype, b.dtype);
  }
  if (a instanceof Tensor) return promoteWithScalar(a.dtype, b as number);
  if (b instanceof Tensor) return promoteWithScalar(b.dtype, a as number);
  return "float32";
}

function category(d: DType): number {
  return d === "bool" ? 0 : d === "int32" ? 1 : 2;
}

/** x as a tensor of dtype: scalars become 0-d tensors, tensors of another dtype are cast (untracked by autograd). */
export function asTensor(x: TensorLike, dtype: DType, backend: Backend, op: string): Tensor {
  if (x instanceof Tensor) {
    assertTensor(op, x);
    if (x.dtype === dtype) return x;
    const out = emptyTensor(x.shape, dtype, x.backend, true);
    x.backend.copy(x.raw(), out.raw());
    return out;
  }
  if (typeof x === "boolean") return scalar(x ? 1 : 0, dtype, backend);
  if (typeof x !== "number") throw new TypeError(`${op}: operand must be a Tensor or a number, got ${x === null ? "null" : typeof x}`);
  return scalar(x, dtype, backend);
}

/** A view of t broadcast to shape (stride 0 along broadcast dims). */
export function broadcastView(t: Tensor, shape: readonly number[]): View {
  const v = t.raw();
  const lead = shape.length - t.ndim;
  const strides = shape.map((s, i) => {
    if (i < lead) return 0;
    return t.shape[i - lead] === 1 && s !== 1 ? 0 : t.strides[i - lead];
  });
  return { buf: v.buf, dtype: v.dtype, shape, strides, offset: v.offset };
}

export function broadcastPair(op: string, a: Tensor, b: Tensor): number[] {
  return broadcastShapes(op, a.shape, b.shape);
}

/** Mark an in-place write so saved-for-backward copies of this storage are known to be stale. */
export function bumpVersion(t: Tensor): void {
  t.storage.version++;
  // Graph capture must see every in-place write (an untraced one cannot be replayed).
  const rec = activeRecorder();
  if (rec !== null) rec.noteWrite(t);
}

export function assertFloating(op: string, t: Tensor, what = "input"): void {
  if (t.dtype !== "float32" && t.dtype !== "float64") {
    throw new TypeError(`${op}: ${what} must be a floating-point tensor (float32 or float64), got ${t.dtype}`);
  }
}

