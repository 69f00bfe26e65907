// Numeric assertions and finite-difference gradient checks shared by the tests.

import assert from "node:assert/strict";
import * as nb from "../../src/index.js";

type Nested = number | boolean | Nested[];

/** Assert t's values equal expected within |a-e| <= atol + rtol·|e| (NaNs must match). */
export function assertClose(t: nb.Tensor | number, expected: Nested | nb.Tensor | ArrayLike<number>, opts: { rtol?: number; atol?: number; msg?: string } = {}): void {
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-6;
  const actual = typeof t === "number" ? [t] : Array.from(t.dataSync(), Number);
  let exp: number[];
  if (expected instanceof nb.Tensor) {
    if (typeof t !== "number") assert.deepEqual(t.shape, expected.shape, `${opts.msg ?? ""} shape`);
    exp = Array.from(expected.dataSync(), Number);
  } else if (Array.isArray(expected) || typeof expected === "number" || typeof expected === "boolean") {
    exp = (Array.isArray(expected) ? (expected as Nested[]).flat(Infinity as 1) : [expected]).map(Number) as number[];
    if (typeof t !== "number" && Array.isArray(expected)) {
      assert.deepEqual(t.shape, shapeOf(expected as Nested[]), `${opts.msg ?? ""} shape`);
    }
  } else exp = Array.from(expected as ArrayLike<number>, Number);
  assert.equal(actual.length, exp.length, `${opts.msg ?? ""} element count`);
  for (let i = 0; i < exp.length; i++) {
    const a = actual[i], e = exp[i];
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${opts.msg ?? ""} element ${i}: expected NaN, got ${a}`);
      continue;
    }
    if (a === e) continue;
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${opts.msg ?? ""} element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

function shapeOf(a: Nested): number[] {
  const s: number[] = [];
  let v: Nested = a;
  while (Array.isArray(v)) {
    s.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return s;
}

/**
 * Check autograd against central finite differences in float64. `fn` maps the inputs to a tensor;
 * its gradient is taken through a fixed random projection so every output element counts.
 */
export function gradcheck(fn: (...xs: nb.Tensor[]) => nb.Tensor, inputs: nb.Tensor[], opts: { eps?: number; rtol?: number; atol?: number; name?: string } = {}): void {
  const eps = opts.eps ?? 1e-6, rtol = opts.rtol ?? 1e-4, atol = opts.atol ?? 1e-6;
  const xs = inputs.map((x) => {
    const d = x.dtype === "float64" ? x.detach().clone() : x.to("float64").detach();
    d.requiresGrad = true;
    return d;
  });
  const out0 = fn(...xs);
  const proj = nb.randn(out0.shape, { dtype: "float64", generator: new nb.Generator(1234) });
  const scalarOf = (y: nb.Tensor): number => nb.noGrad(() => y.mul(proj).sum().item());
  out0.mul(proj).sum().backward();
  xs.forEach((x, k) => {
    const analytic = x.grad ? Array.from(x.grad.dataSync()) : new Array(x.numel()).fill(0);
    const base = x.detach();
    const flat = base.contiguous().dataSync() as Float64Array;
    for (let i = 0; i < flat.length; i++) {
      const perturbed = (delta: number): number => {
        const copy = Float64Array.from(flat);
        copy[i] += delta;
        const xi = nb.tensor(copy, { shape: x.shape, dtype: "float64" });
        const args = xs.map((other, j) => (j === k ? xi : other.detach()));
        return scalarOf(nb.noGrad(() => fn(...args)));
      };
      const numeric = (perturbed(eps) - perturbed(-eps)) / (2 * eps);
      const a = analytic[i];
      assert.ok(
        Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric),
        `${opts.name ?? "gradcheck"}: input ${k} element ${i}: autograd ${a}, finite difference ${numeric}`,
      );
    }
  });
}

/** A float64 tensor of the given shape with values from a seeded normal draw. */
export function randomInput(shape: number[], seed: number, opts: { positive?: boolean; scale?: number } = {}): nb.Tensor {
  let t = nb.randn(shape, { dtype: "float64", generator: new nb.Generator(seed) });
  if (opts.scale) t = t.mul(opts.scale);
  if (opts.positive) t = t.abs().add(0.5);
  return t.detach();
}

/** Assert fn throws an error whose message matches every pattern. */
export function assertThrowsMatching(fn: () => unknown, ...patterns: RegExp[]): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, "expected an error to be thrown");
  for (const p of patterns) assert.match((caught as Error).message, p);
}
