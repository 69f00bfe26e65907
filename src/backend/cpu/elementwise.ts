// Elementwise kernels of the cpu backend: copy/cast, fill, unary, binary (broadcast by strides)
// and where. Values pass through JavaScript numbers (doubles) and round on store, which gives
// correctly rounded float32 results for + - * / and sqrt.

import type { BinaryOp, ParamUnaryOp, UnaryOp, View } from "../backend.js";
import { BINARY_PREDICATES } from "../op-vocabulary.js";
import { arr, forEachRow } from "./strided.js";
import { isDense, numelOf } from "../../core/shape.js";
import { type StoreMode, binaryRow, unaryRow } from "./loops.js";

export function copy(x: View, out: View): void {
  const xs = arr(x), os = arr(out);
  const toBool = out.dtype === "bool";
  if (isDense(x) && isDense(out) && !toBool && !(out.dtype === "int32" && x.dtype !== "int32")) {
    const n = numelOf(out.shape);
    if (x.buf === out.buf && x.offset === out.offset) return;
    (os as Float32Array).set(xs.subarray(x.offset, x.offset + n) as Float32Array, out.offset);
    return;
  }
  const toInt = out.dtype === "int32";
  forEachRow(out.shape, [x.strides, out.strides], [x.offset, out.offset], (o, n, s) => {
    let xi = o[0], oi = o[1];
    const sx = s[0], so = s[1];
    if (toBool) for (let i = 0; i < n; i++, xi += sx, oi += so) os[oi] = xs[xi] !== 0 ? 1 : 0;
    else if (toInt) for (let i = 0; i < n; i++, xi += sx, oi += so) os[oi] = Math.trunc(xs[xi]);
    else for (let i = 0; i < n; i++, xi += sx, oi += so) os[oi] = xs[xi];
  });
}

export function fill(out: View, value: number): void {
  const os = arr(out);
  if (isDense(out)) {
    os.fill(value, out.offset, out.offset + numelOf(out.shape));
    return;
  }
  forEachRow(out.shape, [out.strides], [out.offset], (o, n, s) => {
    for (let i = 0, oi = o[0]; i < n; i++, oi += s[0]) os[oi] = value;
  });
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

/**
 * erf to double precision (relative error below 1e-14): its Maclaurin series for |x| < 2.5, and
 * 1 − erfc from erfc's continued fraction beyond, where the series would cancel badly. A cheap
 * fixed-precision fit is not enough here: the oracle must stay accurate near 0 and in float64.
 */
export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf x = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!·(2n+1))
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 64; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) <= 1e-17 * Math.abs(sum)) break;
    }
    return sum * TWO_OVER_SQRT_PI;
  }
  if (ax >= 6) return x > 0 ? 1 : -1; // erfc(6) ≈ 2e-17 is below double's resolution of 1
  // erfc z = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + …))))), evaluated from the tail
  let f = ax;
  for (let k = 40; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = (Math.exp(-ax * ax) * INV_SQRT_PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

function softplus(x: number): number {
  // PyTorch's softplus with beta 1 and threshold 20: linear above the threshold.
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  atan: Math.atan,
  relu: (x) => (x > 0 ? x : x !== x ? x : 0),
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: Math.tanh,
  // torch gives 0 for NaN and for ±0.
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  reciprocal: (x) => 1 / x,
  floor: Math.floor,
  ceil: Math.ceil,
  // Round half to even, as torch.round.
  round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  trunc: Math.trunc,
  logicalNot: (x) => (x === 0 ? 1 : 0),
  expm1: Math.expm1,
  log1p: Math.log1p,
  erf,
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  geluTanh: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
  isnan: (x) => (x !== x ? 1 : 0),
  isinf: (x) => (x === Infinity || x === -Infinity ? 1 : 0),
};

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
export const SELU = { alpha: SELU_ALPHA, scale: SELU_SCALE };

function paramFn(op: ParamUnaryOp, p: readonly number[]): (x: number) => number {
  switch (op) {
    case "powScalar": {
      const e = p[0];
      if (e === 2) return (x) => x * x;
      if (e === 0.5) return Math.sqrt;
      return (x) => Math.pow(x, e);
    }
    case "clamp": {
      const lo = p[0], hi = p[1];
      return (x) => (x !== x ? x : x < lo ? lo : x > hi ? hi : x);
    }
    case "hardtanh": {
      const lo = p[0], hi = p[1];
      return (x) => (x < lo ? lo : x > hi ? hi : x);
    }
    case "leakyRelu": {
      const a = p[0];
      return (x) => (x > 0 ? x : a * x);
    }
    case "elu": {
      // p = [alpha, scale]: scale·(x > 0 ? x : alpha·(e^x − 1)); SELU is elu with its constants.
      const a = p[0], s = p[1] ?? 1;
      return (x) => (x > 0 ? s * x : s * a * Math.expm1(x));
    }
    case "step": {
      const t = p[0] ?? 0;
      return (x) => (x > t ? 1 : 0);
    }
    case "affine": {
      const a = p[0], b = p[1];
      return (x) => a * x + b;
    }
  }
}

function mapInto(fnKey: string, x: View, out: View, f: (x: number) => number): void {
  const xs = arr(x), os = arr(out);
  // A bool result stores 1 for any non-zero value (a Uint8Array would keep 2 or wrap −1 to 255).
  const mode: StoreMode = out.dtype === "bool" ? "bool" : out.dtype === "int32" ? "int" : "plain";
  const loop = unaryRow(fnKey, xs, os, mode);
  if (isDense(x) && isDense(out)) {
    loop(xs, os, x.offset, out.offset, numelOf(out.shape), 1, 1, f);
    return;
  }
  forEachRow(out.shape, [x.strides, out.strides], [x.offset, out.offset], (o, n, s) => loop(xs, os, o[0], o[1], n, s[0], s[1], f));
}

export function unary(op: UnaryOp, x: View, out: View): void {
  mapInto(op, x, out, UNARY[op]);
}

export function paramUnary(op: ParamUnaryOp, x: View, out: View, params: readonly number[]): void {
  mapInto(op, x, out, paramFn(op, params));
}

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  atan2: Math.atan2,
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  logicalXor: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0),
  reluGrad: (a, b) => a * (b > 0 ? 1 : 0),
};

export function binary(op: BinaryOp, a: View, b: View, out: View): void {
  const as = arr(a), bs = arr(b), os = arr(out);
  // Arithmetic on bools (add is "or", mul is "and", as in torch): any non-zero result is true.
  const mode: StoreMode = out.dtype === "bool" && !BINARY_PREDICATES.has(op) ? "bool" : "plain";
  const intMul = op === "mul" && out.dtype === "int32";
  const f = intMul ? Math.imul : BINARY[op];
  const loop = binaryRow(intMul ? "imul" : op, as, bs, os, mode);
  if (isDense(a) && isDense(b) && isDense(out)) {
    loop(as, bs, os, a.offset, b.offset, out.offset, numelOf(out.shape), 1, 1, 1, f);
    return;
  }
  forEachRow(out.shape, [a.strides, b.strides, out.strides], [a.offset, b.offset, out.offset], (o, n, s) =>
    loop(as, bs, os, o[0], o[1], o[2], n, s[0], s[1], s[2], f));
}

export function where(cond: View, a: View, b: View, out: View): void {
  const cs = arr(cond), as = arr(a), bs = arr(b), os = arr(out);
  forEachRow(
    out.shape,
    [cond.strides, a.strides, b.strides, out.strides],
    [cond.offset, a.offset, b.offset, out.offset],
    (o, n, s) => {
      let ci = o[0], ai = o[1], bi = o[2], oi = o[3];
      for (let i = 0; i < n; i++, ci += s[0], ai += s[1], bi += s[2], oi += s[3]) os[oi] = cs[ci] ? as[ai] : bs[bi];
    },
  );
}
