// nabla's core ops (elementwise, reductions, views) against PyTorch 1.13, case by case, from
// test/fixtures/core.json (made by scripts/fixtures/core.py). Each case checks the output's dtype,
// shape and values, whether a shape op shares its input's storage exactly when torch's does, that
// non-contiguous operands really are non-contiguous here too, and the gradient of
// sum(out * proj) w.r.t. every float input.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import type { DType } from "../../src/index.js";

type Num = number | string;
interface StoredTensor { dtype: DType; shape: number[]; values: Num[] }
interface Operand { t?: string; prep?: { op: string; args?: Args }[]; contiguous?: boolean | null; scalar?: number | boolean }
type Args = Record<string, unknown>;
interface Case {
  name: string;
  op: string;
  args: Args;
  inputs: Operand[];
  out?: { dtype: string; shape: number[]; values: Num[]; sharesStorage?: boolean };
  proj?: Num[];
  grads?: (Num[] | null)[];
  /** Set when torch refuses the inputs: nabla must throw an error whose message starts with the op's name. */
  torchError?: string;
}
interface Fixture { torch: string; tensors: Record<string, StoredTensor>; cases: Case[] }

const fixture: Fixture = JSON.parse(readFileSync(new URL("../fixtures/core.json", import.meta.url), "utf8"));

const decode = (v: Num): number => (typeof v === "number" ? v : v === "nan" ? NaN : v === "inf" ? Infinity : -Infinity);

/** torch's int64 results (sums/products of integers, arg-reductions, int + Python int) are int32 in nabla, as documented. */
const nablaDType = (torchDType: string): string => (torchDType === "int64" ? "int32" : torchDType);

// ---- tolerances --------------------------------------------------------------------------------
// |actual - expected| <= atol + rtol·|expected|. Integer and bool results must match exactly.
//
// float32 values: rtol 1e-5, atol 1e-7. nabla's cpu backend evaluates in float64 and rounds once
// on store; torch evaluates in float32 (its vectorised gelu/erf are off by up to ~3e-6 relative in
// the tails) and sums pairwise, so results differ by a few ulps of the result, or of the summed
// magnitudes where a sum cancels (atol 1e-7 for O(1) inputs).
// float32 gradients: rtol 1e-5, atol 1e-6. Backward rules are chains of float32 ops, each rounding
// separately and ordered differently from torch's fused kernels; where the gradient is a
// difference of O(1) terms (var/std's x − mean, logsumexp's softmax) the error is absolute, ~1e-7.
// A wrong formula is off by O(1), far outside either.
// float64: rtol 1e-12, atol 1e-15 for values and gradients: V8's and glibc's libm may differ in
// the last ulp, and composite rules add a few more roundings.
const TOL = {
  float32: { value: { rtol: 1e-5, atol: 1e-7 }, grad: { rtol: 1e-5, atol: 1e-6 } },
  float64: { value: { rtol: 1e-12, atol: 1e-15 }, grad: { rtol: 1e-12, atol: 1e-15 } },
};

function assertValues(actual: ArrayLike<number>, expected: Num[], dtype: string, kind: "value" | "grad", what: string): void {
  assert.equal(actual.length, expected.length, `${what}: element count`);
  const tol = dtype === "float32" ? TOL.float32[kind] : dtype === "float64" ? TOL.float64[kind] : { rtol: 0, atol: 0 };
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]), e = decode(expected[i]);
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${what}: element ${i}: expected NaN, got ${a}`);
      continue;
    }
    if (a === e) continue;
    assert.ok(
      Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e),
      `${what}: element ${i}: got ${a}, torch ${e} (|diff| ${Math.abs(a - e)}, rtol ${tol.rtol}, atol ${tol.atol})`,
    );
  }
}

// ---- the ops, under their fixture names ----------------------------------------------------------
type Operands = (nb.Tensor | number | boolean)[];
const tensorArg = (x: nb.Tensor | number | boolean): nb.Tensor => {
  assert.ok(x instanceof nb.Tensor, "operand must be a tensor");
  return x;
};
const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));
type Dims = number | number[] | undefined;

const binary = (f: (a: nb.TensorLike, b: nb.TensorLike) => nb.Tensor) => (xs: Operands) => f(xs[0], xs[1]);
const unary = (f: (x: nb.Tensor) => nb.Tensor) => (xs: Operands) => f(tensorArg(xs[0]));
const reduction = (f: (x: nb.Tensor, dim: Dims, keepdim: boolean) => nb.Tensor) => (xs: Operands, a: Args) =>
  f(tensorArg(xs[0]), opt<Dims>(a.dim), (a.keepdim as boolean | undefined) ?? false);

const OPS: Record<string, (xs: Operands, a: Args) => nb.Tensor> = {
  add: binary(nb.add), sub: binary(nb.sub), mul: binary(nb.mul), div: binary(nb.div), pow: binary(nb.pow),
  maximum: (xs) => nb.maximum(tensorArg(xs[0]), xs[1]),
  minimum: (xs) => nb.minimum(tensorArg(xs[0]), xs[1]),
  atan2: (xs) => nb.atan2(tensorArg(xs[0]), xs[1]),
  eq: binary(nb.eq), ne: binary(nb.ne), lt: binary(nb.lt), le: binary(nb.le), gt: binary(nb.gt), ge: binary(nb.ge),
  logicalAnd: binary(nb.logicalAnd), logicalOr: binary(nb.logicalOr), logicalXor: binary(nb.logicalXor),
  where: (xs) => nb.where(tensorArg(xs[0]), xs[1], xs[2]),
  neg: unary(nb.neg), abs: unary(nb.abs), exp: unary(nb.exp), log: unary(nb.log), sqrt: unary(nb.sqrt), rsqrt: unary(nb.rsqrt),
  square: unary(nb.square), sin: unary(nb.sin), cos: unary(nb.cos), tan: unary(nb.tan), atan: unary(nb.atan),
  relu: unary(nb.relu), sigmoid: unary(nb.sigmoid), tanh: unary(nb.tanh), sign: unary(nb.sign), reciprocal: unary(nb.reciprocal),
  floor: unary(nb.floor), ceil: unary(nb.ceil), round: unary(nb.round), trunc: unary(nb.trunc), expm1: unary(nb.expm1),
  log1p: unary(nb.log1p), erf: unary(nb.erf), softplus: unary(nb.softplus), softsign: unary(nb.softsign),
  logicalNot: unary(nb.logicalNot), isnan: unary(nb.isnan), isinf: unary(nb.isinf), binaryStep: unary((x) => nb.binaryStep(x)),
  selu: unary(nb.selu),
  gelu: (xs, a) => nb.gelu(tensorArg(xs[0]), { approximate: opt<"none" | "tanh">(a.approximate) }),
  elu: (xs, a) => nb.elu(tensorArg(xs[0]), opt<number>(a.alpha)),
  leakyRelu: (xs, a) => nb.leakyRelu(tensorArg(xs[0]), opt<number>(a.negativeSlope)),
  hardtanh: (xs, a) => nb.hardtanh(tensorArg(xs[0]), opt<number>(a.min), opt<number>(a.max)),
  clamp: (xs, a) =>
    xs.length > 1
      ? nb.clamp(tensorArg(xs[0]), tensorArg(xs[1]), tensorArg(xs[2]))
      : nb.clamp(tensorArg(xs[0]), opt<number>(a.min), opt<number>(a.max)),
  sum: reduction(nb.sum), mean: reduction(nb.mean), max: reduction(nb.max), min: reduction(nb.min), prod: reduction(nb.prod),
  logsumexp: reduction(nb.logsumexp), all: reduction(nb.all), any: reduction(nb.any),
  var: (xs, a) => tensorArg(xs[0]).var(opt<Dims>(a.dim), (a.keepdim as boolean) ?? false, { correction: opt<number>(a.correction) }),
  std: (xs, a) => nb.std(tensorArg(xs[0]), opt<Dims>(a.dim), (a.keepdim as boolean) ?? false, { correction: opt<number>(a.correction) }),
  argmax: (xs, a) => nb.argmax(tensorArg(xs[0]), opt<number>(a.dim), (a.keepdim as boolean) ?? false),
  argmin: (xs, a) => nb.argmin(tensorArg(xs[0]), opt<number>(a.dim), (a.keepdim as boolean) ?? false),
  reshape: (xs, a) => nb.reshape(tensorArg(xs[0]), a.shape as number[]),
  view: (xs, a) => nb.view(tensorArg(xs[0]), a.shape as number[]),
  flatten: (xs, a) => nb.flatten(tensorArg(xs[0]), opt<number>(a.startDim), opt<number>(a.endDim)),
  permute: (xs, a) => nb.permute(tensorArg(xs[0]), a.dims as number[]),
  transpose: (xs, a) => nb.transpose(tensorArg(xs[0]), a.dim0 as number, a.dim1 as number),
  t: (xs) => tensorArg(xs[0]).t(),
  squeeze: (xs, a) => nb.squeeze(tensorArg(xs[0]), opt<number | number[]>(a.dim)),
  unsqueeze: (xs, a) => nb.unsqueeze(tensorArg(xs[0]), a.dim as number),
  expand: (xs, a) => nb.expand(tensorArg(xs[0]), a.sizes as number[]),
  slice: (xs, a) => nb.slice(tensorArg(xs[0]), a.dim as number, opt<number>(a.start), opt<number>(a.end), opt<number>(a.step)),
  narrow: (xs, a) => nb.narrow(tensorArg(xs[0]), a.dim as number, a.start as number, a.length as number),
  contiguous: unary(nb.contiguous),
  clone: unary(nb.clone),
};

function makeTensor(name: string, requiresGrad: boolean): nb.Tensor {
  const s = fixture.tensors[name];
  assert.ok(s, `fixture tensor ${name} is missing`);
  const data = s.dtype === "float64" ? new Float64Array(s.values.length) : s.dtype === "int32" ? new Int32Array(s.values.length) : s.dtype === "bool" ? new Uint8Array(s.values.length) : new Float32Array(s.values.length);
  s.values.forEach((v, i) => (data[i] = decode(v)));
  const t = nb.tensor(data, { dtype: s.dtype, shape: s.shape });
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/** The case's operands: stored tensors (leaves, requiring grad when asked) seen through their prep views, and scalars. */
function buildOperands(c: Case, wantsGrad: boolean): { leaves: (nb.Tensor | null)[]; operands: Operands } {
  const leaves: (nb.Tensor | null)[] = [];
  const operands: Operands = c.inputs.map((inp) => {
    if (inp.t === undefined) {
      leaves.push(null);
      return inp.scalar!;
    }
    const dtype = fixture.tensors[inp.t].dtype;
    const base = makeTensor(inp.t, wantsGrad && (dtype === "float32" || dtype === "float64"));
    leaves.push(base);
    let x = base;
    for (const p of inp.prep ?? []) x = OPS[p.op]([x], p.args ?? {});
    if (inp.contiguous !== null && inp.contiguous !== undefined) {
      assert.equal(x.isContiguous(), inp.contiguous, `operand ${inp.t} after ${JSON.stringify(inp.prep)}: contiguity differs from torch's`);
    }
    return x;
  });
  return { leaves, operands };
}

function runCase(c: Case): void {
  const op = OPS[c.op];
  assert.ok(op, `no nabla op mapped for fixture op ${c.op}`);
  const wantsGrad = c.grads !== undefined;
  if (c.torchError !== undefined) {
    const { operands } = buildOperands(c, false);
    assert.throws(() => op(operands, c.args), (e: unknown) => {
      assert.ok(e instanceof Error, "expected an Error");
      assert.match(e.message, new RegExp(`^${c.op}: `), `torch refuses this ("${c.torchError}"); nabla's message should start with "${c.op}: ", got "${e.message}"`);
      return true;
    }, `torch refuses this ("${c.torchError}"), nabla did not throw`);
    return;
  }
  const { leaves, operands } = buildOperands(c, wantsGrad);
  const expected = c.out!;

  const out = op(operands, c.args);
  assert.equal(out.dtype, nablaDType(expected.dtype), "dtype");
  assert.deepEqual(out.shape, expected.shape, "shape");
  assertValues(out.dataSync(), expected.values, out.dtype, "value", "values");
  if (expected.sharesStorage !== undefined) {
    const input = operands[0] as nb.Tensor;
    assert.equal(out.storage === input.storage, expected.sharesStorage, expected.sharesStorage ? "torch returns a view here; nabla copied" : "torch copies here; nabla returned a view");
  }

  if (!wantsGrad) return;
  assert.ok(out.requiresGrad, "output should require grad");
  const proj = nb.tensor(Float64Array.from(c.proj!, decode), { dtype: out.dtype, shape: out.shape });
  out.mul(proj).sum().backward();
  c.grads!.forEach((expected, i) => {
    const leaf = leaves[i];
    if (expected === null) {
      // torch had no gradient path (or the input was not a float tensor): none, or zeros, here.
      if (leaf?.grad) assert.ok(Array.from(leaf.grad.dataSync()).every((v) => v === 0), `input ${i}: expected no gradient`);
      return;
    }
    assert.ok(leaf?.grad, `input ${i}: no gradient was accumulated`);
    assert.deepEqual(leaf.grad.shape, leaf.shape, `input ${i}: gradient shape`);
    assert.equal(leaf.grad.dtype, leaf.dtype, `input ${i}: gradient dtype`);
    assertValues(leaf.grad.dataSync(), expected, leaf.dtype, "grad", `input ${i} gradient`);
  });
}

test("the fixture covers every core op", () => {
  const covered = new Set(fixture.cases.map((c) => c.op));
  const required = [
    "add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2", "eq", "ne", "lt", "le", "gt", "ge",
    "logicalAnd", "logicalOr", "logicalXor", "logicalNot", "neg", "abs", "exp", "log", "sqrt", "rsqrt", "square", "sin", "cos",
    "tan", "atan", "relu", "sigmoid", "tanh", "sign", "reciprocal", "floor", "ceil", "round", "trunc", "expm1", "log1p", "erf",
    "softplus", "softsign", "gelu", "elu", "selu", "leakyRelu", "hardtanh", "clamp", "where", "isnan", "isinf", "binaryStep",
    "sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "argmax", "argmin", "all", "any",
    "reshape", "view", "flatten", "permute", "transpose", "squeeze", "unsqueeze", "expand", "slice", "narrow", "contiguous",
  ];
  assert.deepEqual(required.filter((op) => !covered.has(op)), []);
  assert.ok(fixture.cases.some((c) => c.inputs.some((i) => i.contiguous === false)), "some cases use non-contiguous operands");
});

for (const c of fixture.cases) {
  test(`${c.op}: ${c.name}`, () => runCase(c));
}
