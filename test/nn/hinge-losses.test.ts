// Hinge losses (multiMarginLoss, hingeEmbeddingLoss and their modules) against torch 1.13
// (scripts/fixtures/hinge_losses.py → test/fixtures/hinge_losses.json), hand-worked values and
// their errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

interface Stored { shape: number[]; dtype: "float64" | "int32"; data: number[] }
interface LossCase {
  name: string;
  fn: "multiMarginLoss" | "hingeEmbeddingLoss";
  opts: Record<string, unknown>;
  tensorOpts: string[];
  tensors: Record<string, Stored>;
  output: Stored;
  proj: Stored;
  grads: { input: Stored };
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/hinge_losses.json", import.meta.url), "utf8")) as { losses: LossCase[] };

const load = (s: Stored, dtype: "float32" | "float64"): nb.Tensor =>
  nb.tensor(s.dtype === "int32" ? Int32Array.from(s.data) : Float64Array.from(s.data), { shape: s.shape }).to(s.dtype === "int32" ? "int32" : dtype);

function runCase(c: LossCase, dtype: "float32" | "float64", tol: { rtol: number; atol: number }): void {
  const input = load(c.tensors.input, dtype).requiresGrad_();
  const target = load(c.tensors.target, dtype);
  const opts: Record<string, unknown> = { ...c.opts };
  for (const k of c.tensorOpts) opts[k] = load(c.tensors[k], dtype);
  const out = nb.nn[c.fn](input, target, opts);
  assert.deepEqual(out.shape, c.output.shape, `${c.name}: output shape`);
  assertClose(out, Float64Array.from(c.output.data), { ...tol, msg: `${c.name} (${dtype}) output` });
  out.mul(load(c.proj, dtype)).sum().backward();
  assertClose(input.grad!, Float64Array.from(c.grads.input.data), { ...tol, msg: `${c.name} (${dtype}) input gradient` });
}

test("multiMarginLoss and hingeEmbeddingLoss match torch 1.13 (values and gradients, every reduction)", () => {
  assert.equal(fixture.losses.length, 24);
  for (const c of fixture.losses) runCase(c, "float64", { rtol: 1e-9, atol: 1e-11 });
  for (const c of fixture.losses) runCase(c, "float32", { rtol: 2e-4, atol: 2e-5 });
});

test("multiMarginLoss by hand: scores [1, 3, 2], true class 1, margin 1 → (0 + 0)/3; class 0 → (3 + 2)/3", () => {
  const x = nb.tensor([[1, 3, 2], [1, 3, 2]]);
  const y = nb.tensor([1, 0], { dtype: "int32" });
  // class 1: max(0, 1 − 3 + 1) + max(0, 1 − 3 + 2) = 0 + 0; class 0: max(0, 1 − 1 + 3) + max(0, 1 − 1 + 2) = 3 + 2
  assertClose(nb.nn.multiMarginLoss(x, y, { reduction: "none" }), [0, 5 / 3]);
  // squared: (9 + 4)/3
  assertClose(new nb.nn.MultiMarginLoss({ p: 2, reduction: "sum" }).forward(x, y), 13 / 3);
  // weighted by the true class's weight
  const w = nb.tensor([2, 10, 10]);
  assertClose(new nb.nn.MultiMarginLoss({ weight: w }).forward(x, y), (2 * 5 / 3) / 2);
});

test("hingeEmbeddingLoss by hand: x for similar pairs, max(0, margin − x) for dissimilar ones", () => {
  const x = nb.tensor([0.3, 0.3, 2]);
  const y = nb.tensor([1, -1, -1]);
  assertClose(new nb.nn.HingeEmbeddingLoss({ reduction: "none" }).forward(x, y), [0.3, 0.7, 0]);
  assertClose(nb.nn.hingeEmbeddingLoss(x, y, { margin: 3 }), (0.3 + 2.7 + 1) / 3);
});

test("hinge losses: bad input is one clear error", () => {
  const x = nb.tensor([[1, 2, 3]]);
  assertThrowsMatching(() => nb.nn.multiMarginLoss(x, nb.tensor([3], { dtype: "int32" })), /^multiMarginLoss: target 3 is out of range for 3 classes$/);
  assertThrowsMatching(() => nb.nn.multiMarginLoss(x, nb.tensor([1])), /^multiMarginLoss: target must be int32 class indices, got float32 of shape \[1\]$/);
  // @ts-expect-error p is 1 or 2
  assertThrowsMatching(() => new nb.nn.MultiMarginLoss({ p: 3 }), /^MultiMarginLoss: p must be 1 or 2 \(the hinge or the squared hinge\), got 3$/);
  assertThrowsMatching(() => nb.nn.multiMarginLoss(nb.zeros([2, 3, 4]), nb.zeros([2], { dtype: "int32" })), /^multiMarginLoss: input must have shape \[C\] or \[N, C\] \(one score per class\), got \[2, 3, 4\]$/);
  assertThrowsMatching(() => nb.nn.multiMarginLoss(x, nb.tensor([0, 1], { dtype: "int32" })), /^multiMarginLoss: batch size mismatch/);
  assertThrowsMatching(() => nb.nn.multiMarginLoss(x, nb.tensor([0], { dtype: "int32" }), { weight: nb.ones([2]) }), /^multiMarginLoss: weight must have shape \[3\] \(one per class\), got \[2\]$/);
  assertThrowsMatching(() => nb.nn.hingeEmbeddingLoss(x, nb.ones([3])), /^hingeEmbeddingLoss: input of shape \[1, 3\] and target of shape \[3\] must have the same shape/);
  // @ts-expect-error misspelt
  assertThrowsMatching(() => new nb.nn.HingeEmbeddingLoss({ margn: 2 }), /^HingeEmbeddingLoss: unknown option "margn" \(did you mean "margin"\?\)/);
});
