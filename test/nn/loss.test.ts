import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching, gradcheck, randomInput } from "../helpers/assert.js";

const F = nb.nn;
const int = (data: number[] | number[][] | number): nb.Tensor => nb.tensor(data, { dtype: "int32" });
const f64 = (data: number[] | number[][]): nb.Tensor => nb.tensor(data, { dtype: "float64" });

// ---------------------------------------------------------------------------------------------
// PyTorch parity (scripts/fixtures/loss.py → test/fixtures/loss.json)

interface Stored { shape: number[]; dtype: "float64" | "int32"; data: number[] }
interface LossCase {
  name: string;
  fn: string;
  opts: Record<string, unknown>;
  tensorOpts: string[];
  tensors: Record<string, Stored>;
  output: Stored;
  proj: Stored;
  grads: { input: Stored; target?: Stored };
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/loss.json", import.meta.url), "utf8")) as { losses: LossCase[] };

const load = (s: Stored, dtype: "float32" | "float64"): nb.Tensor =>
  nb.tensor(s.dtype === "int32" ? Int32Array.from(s.data) : Float64Array.from(s.data), { shape: s.shape }).to(s.dtype === "int32" ? "int32" : dtype);

type LossFn = (input: nb.Tensor, target: nb.Tensor, opts: Record<string, unknown>) => nb.Tensor;

function runCase(c: LossCase, dtype: "float32" | "float64", tol: { rtol: number; atol: number }): void {
  const input = load(c.tensors.input, dtype).requiresGrad_();
  const target = load(c.tensors.target, dtype);
  if (c.grads.target) target.requiresGrad = true;
  const opts: Record<string, unknown> = { ...c.opts };
  for (const k of c.tensorOpts) opts[k] = load(c.tensors[k], dtype);
  const out = (F as unknown as Record<string, LossFn>)[c.fn](input, target, opts);
  assert.deepEqual(out.shape, c.output.shape, `${c.name}: output shape`);
  assert.equal(out.dtype, dtype, `${c.name}: output dtype`);
  assertClose(out, Float64Array.from(c.output.data), { ...tol, msg: `${c.name} (${dtype}) output` });
  out.mul(load(c.proj, dtype)).sum().backward();
  assertClose(input.grad!, Float64Array.from(c.grads.input.data), { ...tol, msg: `${c.name} (${dtype}) input gradient` });
  if (c.grads.target) assertClose(target.grad!, Float64Array.from(c.grads.target.data), { ...tol, msg: `${c.name} (${dtype}) target gradient` });
}

test("every loss, option and reduction matches torch 1.13 in float64 (values and gradients)", () => {
  assert.ok(fixture.losses.length >= 90);
  for (const c of fixture.losses) runCase(c, "float64", { rtol: 1e-9, atol: 1e-11 });
});

test("the same cases in float32 agree with torch within float32 rounding", () => {
  for (const c of fixture.losses) runCase(c, "float32", { rtol: 2e-4, atol: 2e-5 });
});

test("the fixture covers K-dimensional cross-entropy, weights, ignoreIndex, smoothing and probabilities", () => {
  const names = fixture.losses.map((c) => c.name).join("\n");
  for (const s of ["ce 4d weight ignore smoothing", "ce probs weight smoothing", "ce ignoreIndex 2", "nll 4d weight ignore", "bce logits weight posWeight", "bce edges"]) {
    assert.ok(names.includes(s), s);
  }
});

// ---------------------------------------------------------------------------------------------
// hand-worked values

test("cross-entropy of logits [[2, 1, 0.1]] with target 0 is 0.4170", () => {
  // log(e^2 + e^1 + e^0.1) − 2 = log(7.389056 + 2.718282 + 1.105171) − 2 = 0.417030
  assertClose(F.crossEntropy(nb.tensor([[2, 1, 0.1]]), int([0])), 0.41703, { rtol: 1e-5 });
  // the same unbatched, and as the module
  assertClose(F.crossEntropy(nb.tensor([2, 1, 0.1]), int(0)), 0.41703, { rtol: 1e-5 });
  assertClose(new nb.nn.CrossEntropyLoss().forward(nb.tensor([[2, 1, 0.1]]), int([0])), 0.41703, { rtol: 1e-5 });
});

test("cross-entropy gradient is softmax minus the one-hot target, over the batch", () => {
  const x = nb.tensor([[2, 1, 0.1], [0, 0, 0]], { requiresGrad: true });
  F.crossEntropy(x, int([0, 2])).backward();
  const e = [Math.exp(2), Math.exp(1), Math.exp(0.1)];
  const z = e[0] + e[1] + e[2];
  assertClose(x.grad!, [[(e[0] / z - 1) / 2, e[1] / z / 2, e[2] / z / 2], [1 / 6, 1 / 6, (1 / 3 - 1) / 2]], { rtol: 1e-5 });
});

test("label smoothing 0.1 on [[2, 1, 0.1]], target 0: 0.9·nll + 0.1·mean(−log p)", () => {
  const lp = [2, 1, 0.1].map((v) => v - Math.log(Math.exp(2) + Math.exp(1) + Math.exp(0.1)));
  const expected = 0.9 * -lp[0] + (0.1 / 3) * -(lp[0] + lp[1] + lp[2]);
  assertClose(F.crossEntropy(nb.tensor([[2, 1, 0.1]]), int([0]), { labelSmoothing: 0.1 }), expected, { rtol: 1e-5 });
});

test("weighted mean divides by the summed weights of the targets; ignored targets count nowhere", () => {
  const x = f64([[1, 2, 3], [1, 1, 1], [0, 5, 0]]);
  const lp = x.logSoftmax(1).toArray() as number[][];
  const w = f64([0.5, 2, 3]);
  const expected = (0.5 * -lp[0][0] + 3 * -lp[1][2]) / (0.5 + 3);
  assertClose(F.crossEntropy(x, int([0, 2, -100]), { weight: w }), expected, { rtol: 1e-12 });
  assertClose(F.crossEntropy(x, int([0, 2, 1]), { weight: w, ignoreIndex: 1 }), expected, { rtol: 1e-12 });
  assertClose(F.crossEntropy(x, int([0, 2, -100]), { weight: w, reduction: "none" }), [0.5 * -lp[0][0], 3 * -lp[1][2], 0], { rtol: 1e-12 });
  assertClose(F.nllLoss(x.logSoftmax(1), int([0, 2, -100]), { weight: w, reduction: "sum" }), 0.5 * -lp[0][0] + 3 * -lp[1][2], { rtol: 1e-12 });
});

test("a batch whose targets are all ignored gives NaN for mean and 0 for sum, as torch", () => {
  const x = nb.randn([2, 3]);
  assert.ok(Number.isNaN(F.crossEntropy(x, int([-100, -100])).item()));
  assert.ok(F.crossEntropy(x, int([-100, -100]), { reduction: "sum" }).item() === 0);
});

test("probability targets: −Σ p·log softmax(x), mean over samples", () => {
  const x = f64([[1, 2, 3], [0, 0, 1]]);
  const p = f64([[0.2, 0.3, 0.5], [1, 0, 0]]);
  const lp = x.logSoftmax(1).toArray() as number[][];
  const rows = [-(0.2 * lp[0][0] + 0.3 * lp[0][1] + 0.5 * lp[0][2]), -lp[1][0]];
  assertClose(F.crossEntropy(x, p), (rows[0] + rows[1]) / 2, { rtol: 1e-12 });
  assertClose(F.crossEntropy(x, p, { reduction: "none" }), rows, { rtol: 1e-12 });
  // a one-hot probability target is the same as the class index
  assertClose(F.crossEntropy(x, f64([[0, 0, 1], [1, 0, 0]])), F.crossEntropy(x, int([2, 0])), { rtol: 1e-12 });
});

test("regression losses on a hand-worked example", () => {
  const x = nb.tensor([0, 1, 4]), y = nb.tensor([0.5, 3, 1]);
  // differences −0.5, −2, 3
  assertClose(F.mseLoss(x, y), (0.25 + 4 + 9) / 3);
  assertClose(F.l1Loss(x, y, { reduction: "sum" }), 5.5);
  assertClose(F.huberLoss(x, y, { reduction: "none" }), [0.125, 1.5, 2.5]);
  assertClose(F.huberLoss(x, y, { reduction: "none", delta: 2 }), [0.125, 2, 4]);
  assertClose(F.smoothL1Loss(x, y, { reduction: "none", beta: 2 }), [0.0625, 1, 2]);
  assertClose(F.smoothL1Loss(x, y, { reduction: "none", beta: 0 }), [0.5, 2, 3]);
});

test("BCE: −(t·log x + (1 − t)·log(1 − x)), with log(0) clamped to −100", () => {
  assertClose(F.binaryCrossEntropy(nb.tensor([0.8, 0.25]), nb.tensor([1, 0]), { reduction: "none" }), [-Math.log(0.8), -Math.log(0.75)], { rtol: 1e-6 });
  assertClose(F.binaryCrossEntropy(nb.tensor([0, 1]), nb.tensor([1, 0]), { reduction: "none" }), [100, 100]);
  const x = nb.tensor([0, 1, 0.5], { requiresGrad: true });
  F.binaryCrossEntropy(x, nb.tensor([0, 1, 1]), { reduction: "sum" }).backward();
  assertClose(x.grad!, [0, 0, -2]); // finite at the ends, (x − t)/(x(1 − x)) inside
});

test("BCE with logits stays finite and exact for logits far from 0", () => {
  const z = nb.tensor([100, -100, 30, -30], { dtype: "float64", requiresGrad: true });
  const t = f64([0, 1, 1, 0]);
  const l = F.binaryCrossEntropyWithLogits(z, t, { reduction: "none" });
  assertClose(l, [100, 100, Math.log1p(Math.exp(-30)), Math.log1p(Math.exp(-30))], { rtol: 1e-12 });
  l.sum().backward();
  assertClose(z.grad!, [1, -1, -1 / (1 + Math.exp(30)), 1 / (1 + Math.exp(30))], { rtol: 1e-9 });
  // equals BCE on sigmoid where that is accurate
  const zs = f64([-2, 0.3, 1.5]), ts = f64([0, 0.4, 1]);
  assertClose(F.binaryCrossEntropyWithLogits(zs, ts), F.binaryCrossEntropy(zs.sigmoid(), ts), { rtol: 1e-12 });
});

test("cross-entropy is stable for huge logits", () => {
  const l = F.crossEntropy(nb.tensor([[1000, 0, -1000], [-1e4, 1e4, 0]]), int([1, 1]), { reduction: "none" });
  assertClose(l, [1000, 0]);
});

// ---------------------------------------------------------------------------------------------
// gradients against finite differences (float64), including options' tensors

test("gradcheck: elementwise losses w.r.t. input and target", () => {
  const x = randomInput([3, 4], 1, { scale: 2 }), y = randomInput([3, 4], 2);
  for (const reduction of ["mean", "sum", "none"] as const) {
    gradcheck((a, b) => F.mseLoss(a, b, { reduction }), [x, y], { name: `mse ${reduction}` });
    gradcheck((a, b) => F.l1Loss(a, b, { reduction }), [x, y], { name: `l1 ${reduction}` });
    gradcheck((a, b) => F.huberLoss(a, b, { reduction, delta: 0.7 }), [x, y], { name: `huber ${reduction}` });
    gradcheck((a, b) => F.smoothL1Loss(a, b, { reduction, beta: 0.7 }), [x, y], { name: `smoothL1 ${reduction}` });
  }
});

test("gradcheck: cross-entropy with weights, ignoreIndex and label smoothing (input and weight)", () => {
  const x = randomInput([5, 4], 3, { scale: 2 });
  const w = randomInput([4], 4, { positive: true });
  const t = int([0, 3, -100, 1, 3]);
  for (const reduction of ["mean", "sum", "none"] as const) {
    gradcheck((a, ww) => F.crossEntropy(a, t, { weight: ww, reduction, labelSmoothing: 0.2 }), [x, w], { name: `ce ${reduction}` });
    gradcheck((a) => F.crossEntropy(a, t, { reduction }), [x], { name: `ce plain ${reduction}` });
  }
});

test("gradcheck: K-dimensional cross-entropy and probability targets (input, target and weight)", () => {
  const x = randomInput([2, 3, 2, 3], 5);
  const t = nb.tensor(Int32Array.from([0, 1, 2, 2, -100, 1, 1, 0, 0, 2, 1, 0]), { shape: [2, 2, 3] });
  gradcheck((a) => F.crossEntropy(a, t, { labelSmoothing: 0.1 }), [x], { name: "ce 4d" });
  const p = randomInput([2, 3, 2, 3], 6).softmax(1).detach();
  const w = randomInput([3], 7, { positive: true });
  for (const reduction of ["mean", "sum", "none"] as const) {
    gradcheck((a, pp, ww) => F.crossEntropy(a, pp, { weight: ww, labelSmoothing: 0.3, reduction }), [x, p, w], { name: `ce probs ${reduction}` });
  }
});

test("gradcheck: nll with weights and ignoreIndex", () => {
  const lp = randomInput([4, 5], 8);
  const w = randomInput([5], 9, { positive: true });
  const t = int([4, 2, 2, 0]);
  for (const reduction of ["mean", "sum", "none"] as const) {
    gradcheck((a, ww) => F.nllLoss(a, t, { weight: ww, ignoreIndex: 2, reduction }), [lp, w], { name: `nll ${reduction}` });
  }
});

test("gradcheck: BCE and BCE with logits (input, target, weight, posWeight)", () => {
  const p = randomInput([3, 4], 10).sigmoid().detach();
  const y = randomInput([3, 4], 11).sigmoid().detach();
  const w = randomInput([4], 12, { positive: true });
  const z = randomInput([3, 4], 13, { scale: 3 });
  const pw = randomInput([3, 1], 14, { positive: true });
  for (const reduction of ["mean", "sum", "none"] as const) {
    gradcheck((a, b, ww) => F.binaryCrossEntropy(a, b, { weight: ww, reduction }), [p, y, w], { name: `bce ${reduction}` });
    gradcheck((a, b, ww, pww) => F.binaryCrossEntropyWithLogits(a, b, { weight: ww, posWeight: pww, reduction }), [z, y, w, pw], { name: `bce logits ${reduction}` });
  }
});

// ---------------------------------------------------------------------------------------------
// modules

test("loss modules call their functions with their options", () => {
  const x = randomInput([4, 3], 20), y = randomInput([4, 3], 21);
  const t = int([0, 2, 1, -1]);
  const w = f64([1, 2, 3]);
  const pairs: [nb.nn.Module, nb.Tensor][] = [
    [new nb.nn.MSELoss({ reduction: "sum" }), F.mseLoss(x, y, { reduction: "sum" })],
    [new nb.nn.L1Loss(), F.l1Loss(x, y)],
    [new nb.nn.HuberLoss({ delta: 0.3 }), F.huberLoss(x, y, { delta: 0.3 })],
    [new nb.nn.SmoothL1Loss({ beta: 0.3, reduction: "none" }), F.smoothL1Loss(x, y, { beta: 0.3, reduction: "none" })],
    [new nb.nn.BCELoss({ weight: w }), F.binaryCrossEntropy(x.sigmoid(), y.sigmoid(), { weight: w })],
    [new nb.nn.BCEWithLogitsLoss({ posWeight: w }), F.binaryCrossEntropyWithLogits(x, y.sigmoid(), { posWeight: w })],
  ];
  for (const [m, expected] of pairs) {
    const isBce = m instanceof nb.nn.BCELoss;
    const out = m.forward(isBce ? x.sigmoid() : x, m instanceof nb.nn.BCEWithLogitsLoss || isBce ? y.sigmoid() : y);
    assertClose(out, expected, { rtol: 1e-12, msg: m.constructor.name });
  }
  const ce = new nb.nn.CrossEntropyLoss({ weight: w, ignoreIndex: -1, labelSmoothing: 0.1 });
  assertClose(ce.forward(x, t), F.crossEntropy(x, t, { weight: w, ignoreIndex: -1, labelSmoothing: 0.1 }), { rtol: 1e-12 });
  const nll = new nb.nn.NLLLoss({ weight: w, ignoreIndex: -1, reduction: "none" });
  assertClose(nll.forward(x, t), F.nllLoss(x, t, { weight: w, ignoreIndex: -1, reduction: "none" }), { rtol: 1e-12 });
});

test("class weights are a buffer named weight (pos_weight for BCEWithLogitsLoss), as torch", () => {
  const w = nb.tensor([1, 2, 3]);
  assert.deepEqual([...new nb.nn.CrossEntropyLoss({ weight: w }).stateDict().keys()], ["weight"]);
  assert.deepEqual([...new nb.nn.CrossEntropyLoss().stateDict().keys()], []);
  const m = new nb.nn.BCEWithLogitsLoss({ weight: w, posWeight: w });
  assert.deepEqual([...m.stateDict().keys()], ["weight", "pos_weight"]);
  assert.equal(m.posWeight, w);
  assert.equal(m.parameters().length, 0);
});

test("loss modules reject bad options at construction, naming the option", () => {
  assertThrowsMatching(() => new nb.nn.MSELoss({ reduction: "avg" as "mean" }), /MSELoss: reduction must be "mean", "sum" or "none", got "avg"/);
  assertThrowsMatching(() => new nb.nn.HuberLoss({ delta: 0 }), /HuberLoss: delta must be a positive number, got 0/);
  assertThrowsMatching(() => new nb.nn.SmoothL1Loss({ beta: -1 }), /SmoothL1Loss: beta must be a non-negative number/);
  assertThrowsMatching(() => new nb.nn.CrossEntropyLoss({ labelSmoothing: 1.5 }), /CrossEntropyLoss: labelSmoothing must be in \[0, 1\], got 1.5/);
  assertThrowsMatching(() => new nb.nn.NLLLoss({ ignoreIndex: 0.5 }), /NLLLoss: ignoreIndex must be an integer/);
  assertThrowsMatching(() => new nb.nn.CrossEntropyLoss({ weight: [1, 2] as unknown as nb.Tensor }), /CrossEntropyLoss: weight must be a Tensor/);
});

// ---------------------------------------------------------------------------------------------
// bad input

test("crossEntropy names float labels, out-of-range classes and batch mismatches", () => {
  const x = nb.randn([4, 10]);
  assertThrowsMatching(
    () => F.crossEntropy(x, nb.tensor([1, 2, 3, 4])),
    /^crossEntropy: target must be int32 class indices \(or float probabilities of the input's shape \[4, 10\]\), got float32 of shape \[4\]$/,
  );
  assertThrowsMatching(() => F.crossEntropy(x, int([1, 2, 12, 3])), /^crossEntropy: target 12 is out of range for 10 classes$/);
  assertThrowsMatching(() => F.crossEntropy(x, int([1, -3, 2, 3])), /^crossEntropy: target -3 is out of range for 10 classes$/);
  assertThrowsMatching(() => F.crossEntropy(x, int([1, 2, 3])), /^crossEntropy: batch size mismatch: input of shape \[4, 10\] has 4 samples but target of shape \[3\] has 3$/);
  assertThrowsMatching(() => F.crossEntropy(x, int([[1], [2], [3], [4]])), /^crossEntropy: expected target of shape \[4\] .*got \[4, 1\]$/);
  assertThrowsMatching(() => F.crossEntropy(x, x.gt(0)), /crossEntropy: target must be int32 class indices .*got bool of shape \[4, 10\]/);
  assertThrowsMatching(() => F.crossEntropy(x, int([0, 1, 2, 3]), { weight: nb.ones([5]) }), /^crossEntropy: weight must have shape \[10\] \(one per class\), got \[5\]$/);
  assertThrowsMatching(() => F.crossEntropy(nb.tensor(1), int(0)), /crossEntropy: input must have shape \[C\], \[N, C\] or \[N, C, d1, \.\.\.\], got a 0-d tensor/);
  assertThrowsMatching(() => F.crossEntropy(int([[1, 2]]), int([0])), /crossEntropy: input must be a floating-point tensor/);
  assertThrowsMatching(() => F.crossEntropy(x, int([0, 1, 2, 3]), { reduction: "mean " as "mean" }), /crossEntropy: reduction must be/);
  assertThrowsMatching(() => F.crossEntropy(x, [0, 1, 2, 3] as unknown as nb.Tensor), /crossEntropy: target must be a Tensor, got an array/);
  // K-dimensional: spatial mismatch
  assertThrowsMatching(() => F.crossEntropy(nb.randn([2, 3, 4, 4]), nb.zeros([2, 4, 5], { dtype: "int32" })), /expected target of shape \[2, 4, 4\]/);
});

test("nllLoss names float labels and out-of-range classes", () => {
  const lp = nb.randn([3, 5]);
  assertThrowsMatching(() => F.nllLoss(lp, nb.tensor([1, 2, 3])), /^nllLoss: target must be int32 class indices, got float32 of shape \[3\]$/);
  assertThrowsMatching(() => F.nllLoss(lp, int([1, 5, 0])), /^nllLoss: target 5 is out of range for 5 classes$/);
  assertThrowsMatching(() => F.nllLoss(lp, int([1, 2])), /^nllLoss: batch size mismatch/);
});

test("elementwise losses throw on shape mismatch (torch would warn and broadcast)", () => {
  assertThrowsMatching(() => F.mseLoss(nb.zeros([4, 1]), nb.zeros([4])), /^mseLoss: input of shape \[4, 1\] and target of shape \[4\] must have the same shape/);
  assertThrowsMatching(() => F.l1Loss(nb.zeros([3]), nb.zeros([2])), /^l1Loss: .*\[3\].*\[2\]/);
  assertThrowsMatching(() => F.huberLoss(nb.zeros([3]), nb.zeros([3]), { delta: -1 }), /^huberLoss: delta must be a positive number, got -1/);
  assertThrowsMatching(() => F.binaryCrossEntropy(nb.zeros([2, 3]), nb.zeros([3])), /^binaryCrossEntropy: input of shape \[2, 3\] and target of shape \[3\]/);
  assertThrowsMatching(() => F.binaryCrossEntropyWithLogits(nb.zeros([2, 3]), nb.zeros([2])), /^binaryCrossEntropyWithLogits: input of shape \[2, 3\]/);
  assertThrowsMatching(() => F.mseLoss(nb.zeros([2], { dtype: "int32" }), nb.zeros([2])), /mseLoss: input must be a floating-point tensor/);
});

test("BCE rejects input outside [0, 1] and weights that do not broadcast", () => {
  assertThrowsMatching(
    () => F.binaryCrossEntropy(nb.tensor([0.5, 1.3]), nb.tensor([1, 0])),
    /^binaryCrossEntropy: input must hold probabilities in \[0, 1\], found 1\.3\d* at flat index 1 of shape \[2\] \(apply sigmoid first/,
  );
  assertThrowsMatching(() => F.binaryCrossEntropy(nb.tensor([NaN]), nb.tensor([1])), /found NaN/);
  assertThrowsMatching(() => F.binaryCrossEntropy(nb.tensor([0.5, 0.5]), nb.tensor([1, 0]), { weight: nb.ones([3]) }), /^binaryCrossEntropy: weight of shape \[3\] cannot be broadcast to the input's shape \[2\]$/);
  assertThrowsMatching(() => F.binaryCrossEntropyWithLogits(nb.zeros([2, 3]), nb.zeros([2, 3]), { posWeight: nb.ones([2]) }), /posWeight of shape \[2\] cannot be broadcast/);
  // a weight that would grow the output is refused too
  assertThrowsMatching(() => F.binaryCrossEntropyWithLogits(nb.zeros([3]), nb.zeros([3]), { weight: nb.ones([2, 3]) }), /weight of shape \[2, 3\]/);
});

// ---------------------------------------------------------------------------------------------
// cost

function graphNodeNames(t: nb.Tensor): string[] {
  type N = { name: string; edges: ({ node: N | null } | null)[] };
  const seen = new Set<N>();
  const stack = [t.gradFn as unknown as N];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const e of n.edges) if (e?.node) stack.push(e.node);
  }
  return [...seen].map((n) => n.name);
}

test("cross-entropy on [64, 10] logits is one logSoftmax, one gather and a few small ops (composite, cpu)", () => {
  const x = nb.randn([64, 10], { requiresGrad: true, device: "cpu" });
  const t = nb.randint(0, 10, [64], { dtype: "int32", device: "cpu" });
  const names = graphNodeNames(F.crossEntropy(x, t));
  assert.equal(names.filter((n) => n === "LogSoftmaxBackward").length, 1, names.join(", "));
  assert.equal(names.filter((n) => n === "GatherBackward").length, 1, names.join(", "));
  assert.ok(names.length <= 6, `graph: ${names.join(", ")}`);
  // class weights add one gather of the weight vector, nothing of size [N, C]
  const weighted = graphNodeNames(F.crossEntropy(x, t, { weight: nb.rand([10], { device: "cpu" }) }));
  assert.ok(weighted.length <= 9, `graph: ${weighted.join(", ")}`);
});

test("the losses are also in nb.nn.functional under torch.nn.functional's camelCase names", () => {
  const fns = ["mseLoss", "l1Loss", "huberLoss", "smoothL1Loss", "crossEntropy", "nllLoss", "binaryCrossEntropy", "binaryCrossEntropyWithLogits"] as const;
  for (const name of fns) assert.equal(nb.nn.functional[name], nb.nn[name], name);
});

test("non-contiguous inputs (transposed, sliced) give the same losses as their contiguous copies", () => {
  const base = randomInput([10, 4], 30);
  const x = base.transpose(0, 1); // [4, 10], strided
  const t = int([9, 0, 3, 3]);
  assert.equal(x.isContiguous(), false);
  assertClose(F.crossEntropy(x, t, { labelSmoothing: 0.1 }), F.crossEntropy(x.contiguous(), t, { labelSmoothing: 0.1 }), { rtol: 1e-12 });
  const y = randomInput([4, 10], 31).slice(1, 0, 10, 2); // [4, 5], every other column
  const z = x.slice(1, 1, 10, 2);
  assertClose(F.mseLoss(z, y), F.mseLoss(z.contiguous(), y.contiguous()), { rtol: 1e-12 });
  assertClose(F.binaryCrossEntropyWithLogits(z, y.sigmoid()), F.binaryCrossEntropyWithLogits(z.contiguous(), y.sigmoid().contiguous()), { rtol: 1e-12 });
});
