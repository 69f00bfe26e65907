// Matrix products with torch semantics and their gradients: matmul (1-D/2-D/batched with
// broadcast batch dims), mm, bmm, dot, outer and linear.
//
// Everything reduces to one batched product of ≥2-D operands (product below); 1-D operands are
// lifted with unsqueeze and the extra dim squeezed away afterwards, so their gradients come from
// the view ops. Transposed operands are passed to the kernel as strided views (no copy).

import { promoteTypes } from "../core/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { record } from "../autograd/node.js";
import { assertTensor, broadcastView, commonBackend, empty } from "./util.js";
import { add, cast, mul } from "./elementwise.js";
import { reshape, squeeze, transpose, unsqueeze } from "./view.js";
import { traceable } from "../graph/recorder.js";

/** Cast both operands to their promoted dtype (differentiably); bool products are refused. */
function promotePair(op: string, a: Tensor, b: Tensor): [Tensor, Tensor] {
  const dt = promoteTypes(a.dtype, b.dtype);
  if (dt === "bool") throw new TypeError(`${op}: bool tensors cannot be multiplied; convert them first, e.g. with .to("float32")`);
  return [cast(a, dt), cast(b, dt)];
}

function innerMismatch(op: string, a: Tensor, b: Tensor, ka: number, kb: number): RangeError {
  return new RangeError(`${op}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied (inner dimensions ${ka} and ${kb} differ)`);
}

/** The shape the batch dims of a and b broadcast to, or a clear error. */
function batchShape(op: string, a: Tensor, b: Tensor): number[] {
  const sa = a.shape.slice(0, -2), sb = b.shape.slice(0, -2);
  const n = Math.max(sa.length, sb.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - sa.length ? 1 : sa[i - (n - sa.length)];
    const db = i < n - sb.length ? 1 : sb[i - (n - sb.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied (batch dimensions ${formatShape(sa)} and ${formatShape(sb)} cannot be broadcast)`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * a[..., M, K] · b[..., K, N] for operands of at least 2 dims and one dtype, batch dims
 * broadcast. Shapes are checked by the callers.
 */
function product(op: string, a: Tensor, b: Tensor): Tensor {
  const backend = commonBackend(op, a, b);
  const M = a.shape[a.ndim - 2], K = a.shape[a.ndim - 1], N = b.shape[b.ndim - 1];
  const batch = batchShape(op, a, b);
  const out = empty([...batch, M, N], a.dtype, backend);
  backend.matmul(broadcastView(a, [...batch, M, K]), broadcastView(b, [...batch, K, N]), out.raw());
  // Save only what the other operand's gradient needs: dA = g·Bᵀ, dB = Aᵀ·g.
  const needA = a.requiresGrad, needB = b.requiresGrad;
  const saved = [...(needB ? [a] : []), ...(needA ? [b] : [])];
  const bShape = [...b.shape];
  return record("MmBackward", [a, b], out, (g, s, needs) => {
    const sa = needB ? s[0] : null;
    const sb = needA ? s[needB ? 1 : 0] : null;
    const ga = needs[0] && sb ? product(op, g, transpose(sb, -1, -2)) : null;
    let gb: Tensor | null = null;
    if (needs[1] && sa) {
      // A plain matrix shared across a batch: fold the batch into the inner dim of one product
      // instead of making per-batch gradients the engine would then sum.
      if (bShape.length === 2 && sa.ndim > 2) {
        gb = product(op, transpose(reshape(sa, [-1, sa.shape[sa.ndim - 1]]), -1, -2), reshape(g, [-1, g.shape[g.ndim - 1]]));
      } else gb = product(op, transpose(sa, -1, -2), g);
    }
    return [ga, gb];
  }, saved);
}

/**
 * Matrix product with torch.matmul's rules: 1-D·1-D is a dot product (0-d result), a 1-D operand
 * is treated as a row (left) or column (right) vector and that dim removed from the result, and
 * ≥3-D operands multiply batch by batch with broadcast batch dims.
 */
export const matmul = traceable("matmul", function matmul(a: Tensor, b: Tensor): Tensor {
  assertTensor("matmul", a);
  assertTensor("matmul", b, "other");
  commonBackend("matmul", a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dimension, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} (use mul for scalars)`);
  }
  const ka = a.shape[a.ndim - 1];
  const kb = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (ka !== kb) throw innerMismatch("matmul", a, b, ka, kb);
  if (a.ndim >= 2 && b.ndim >= 2) batchShape("matmul", a, b);
  const [x, y] = promotePair("matmul", a, b);
  const x2 = x.ndim === 1 ? unsqueeze(x, 0) : x;
  const y2 = y.ndim === 1 ? unsqueeze(y, 1) : y;
  let out = product("matmul", x2, y2);
  if (a.ndim === 1 && b.ndim === 1) return reshape(out, []);
  if (a.ndim === 1) out = squeeze(out, -2);
  if (b.ndim === 1) out = squeeze(out, -1);
  return out;
});

/** Product of two matrices (2-D only, as torch.mm). */
export const mm = traceable("mm", function mm(a: Tensor, b: Tensor): Tensor {
  assertTensor("mm", a);
  assertTensor("mm", b, "other");
  if (a.ndim !== 2 || b.ndim !== 2) {
    throw new RangeError(`mm: expected two 2-D tensors, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} (use matmul for other ranks)`);
  }
  if (a.shape[1] !== b.shape[0]) throw innerMismatch("mm", a, b, a.shape[1], b.shape[0]);
  const [x, y] = promotePair("mm", a, b);
  return product("mm", x, y);
});

/** Batched product of [B, M, K] and [B, K, N] (same batch size, no broadcasting, as torch.bmm). */
export const bmm = traceable("bmm", function bmm(a: Tensor, b: Tensor): Tensor {
  assertTensor("bmm", a);
  assertTensor("bmm", b, "other");
  if (a.ndim !== 3 || b.ndim !== 3) {
    throw new RangeError(`bmm: expected two 3-D tensors [batch, rows, cols], got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  if (a.shape[0] !== b.shape[0]) {
    throw new RangeError(`bmm: batch sizes differ: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} (bmm does not broadcast; use matmul)`);
  }
  if (a.shape[2] !== b.shape[1]) throw innerMismatch("bmm", a, b, a.shape[2], b.shape[1]);
  const [x, y] = promotePair("bmm", a, b);
  return product("bmm", x, y);
});

/** Inner product of two 1-D tensors of the same length (a 0-d tensor). */
export const dot = traceable("dot", function dot(a: Tensor, b: Tensor): Tensor {
  assertTensor("dot", a);
  assertTensor("dot", b, "other");
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new RangeError(`dot: expected two 1-D tensors, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  if (a.shape[0] !== b.shape[0]) {
    throw new RangeError(`dot: tensors must have the same number of elements, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const [x, y] = promotePair("dot", a, b);
  return reshape(product("dot", unsqueeze(x, 0), unsqueeze(y, 1)), []);
});

/** Outer product of two 1-D tensors: out[i, j] = a[i]·b[j]. */
export const outer = traceable("outer", function outer(a: Tensor, b: Tensor): Tensor {
  assertTensor("outer", a);
  assertTensor("outer", b, "other");
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new RangeError(`outer: expected two 1-D tensors, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
});

/**
 * y = x·weightᵀ + bias for x [..., inFeatures], weight [outFeatures, inFeatures] and bias
 * [outFeatures] (torch.nn.functional.linear). The transpose is a strided view, never a copy.
 */
export const linear = traceable("linear", function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  assertTensor("linear", x);
  assertTensor("linear", weight, "weight");
  if (bias !== undefined && bias !== null) assertTensor("linear", bias, "bias");
  commonBackend("linear", x, weight, bias);
  if (weight.ndim !== 2) {
    throw new RangeError(`linear: weight must be 2-D [outFeatures, inFeatures], got shape ${formatShape(weight.shape)}`);
  }
  if (x.ndim === 0) throw new RangeError(`linear: input must have at least 1 dimension [..., inFeatures], got a 0-d tensor`);
  const [outF, inF] = weight.shape;
  if (x.shape[x.ndim - 1] !== inF) {
    throw new RangeError(`linear: input of shape ${formatShape(x.shape)} has ${x.shape[x.ndim - 1]} features, but weight ${formatShape(weight.shape)} expects ${inF} (weight is [outFeatures, inFeatures])`);
  }
  if (bias && !(bias.ndim === 0 || (bias.ndim === 1 && (bias.shape[0] === outF || bias.shape[0] === 1)))) {
    throw new RangeError(`linear: bias must have shape [${outF}] to match weight ${formatShape(weight.shape)}, got ${formatShape(bias.shape)}`);
  }
  const [xs, w] = promotePair("linear", x, weight);
  const x2 = xs.ndim === 1 ? unsqueeze(xs, 0) : xs;
  let y = product("linear", x2, transpose(w, 0, 1));
  if (xs.ndim === 1) y = squeeze(y, 0);
  return bias ? add(y, bias) : y;
});

declare module "../tensor/tensor.js" {
  interface Tensor {
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
    dot(other: Tensor): Tensor;
    outer(other: Tensor): Tensor;
  }
}

Tensor.prototype.matmul = function (o) { return matmul(this, o); };
Tensor.prototype.mm = function (o) { return mm(this, o); };
Tensor.prototype.bmm = function (o) { return bmm(this, o); };
Tensor.prototype.dot = function (o) { return dot(this, o); };
Tensor.prototype.outer = function (o) { return outer(this, o); };
