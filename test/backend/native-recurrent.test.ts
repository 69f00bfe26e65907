// The native backend's fused recurrent entries (recurrentForward / recurrentBackward,
// native/src/recurrent.cc) called directly, against a plain-JavaScript float64 reference of the
// contract written here (src/backend/backend.ts: layouts [T, N, G·H], torch's gate order, packed
// batches by batchSizes, the reverse direction, the saved activations). The reference's backward is
// itself checked against finite differences of its forward. Random sizes include N = 1, T = 1,
// H not a multiple of 8 (nor of the kernel's 16-unit blocks), batch sizes with drops (and rows
// never active), on 1, 2 and 3 threads and on both GEMM micro-kernels (AVX2/FMA with the vector
// sigmoid/tanh, and the portable one with libm). Bad calls are refused with an error, not a crash.
//
// Tolerances (native float32 against the float64 reference): forward values (hs, cs, saved gates)
// atol 2e-6 + rtol 1e-5; gradients atol 1e-5·max(1, max |reference|) + rtol 1e-4 — float32
// products over K = H (forward, gh) or K = T·N (gW_hh) terms, chained over T steps, and sigmoid/tanh
// within 3 float32 ulps. The "error budget" test prints the worst |Δ|/tolerance it sees (about
// 0.2 forward and 0.02 backward: the errors are a few float32 ulps).

import { test } from "node:test";
import assert from "node:assert/strict";
import type { RecurrentParams, View } from "../../src/backend/backend.js";
import { forceGenericGemm } from "../../src/backend/native/index.js";
import { loadAddon } from "../../src/backend/native/addon.js";
import { begin, end, num, nums, view } from "../../src/backend/addon-abi/encode.js";
import { Rng, forEachKernel, native, skipNative, withThreads } from "./native-helpers.js";
import { checkRecurrentCase, fixture } from "../helpers/recurrent-fixture.js";

type Cell = RecurrentParams["cell"];
const CELLS: Cell[] = ["rnnTanh", "rnnRelu", "lstm", "gru"];
const GATES: Record<Cell, number> = { rnnTanh: 1, rnnRelu: 1, lstm: 4, gru: 3 };
const SAVED: Record<Cell, number> = { rnnTanh: 0, rnnRelu: 0, lstm: 4, gru: 4 };

const FWD_TOL = { rtol: 1e-5, atol: 2e-6 };
const gradTol = (ref: ArrayLike<number>) => {
  let m = 1;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]));
  return { rtol: 1e-4, atol: 1e-5 * m };
};

// ---- the float64 reference ------------------------------------------------------------------------

interface Problem {
  cell: Cell;
  reverse: boolean;
  T: number;
  N: number;
  H: number;
  batchSizes: number[];
  xProj: Float64Array; // [T, N, G·H]
  whh: Float64Array; // [G·H, H]
  bhh: Float64Array | null; // [G·H] (gru)
  h0: Float64Array; // [N, H]
  c0: Float64Array | null; // [N, H] (lstm)
}

interface Forward {
  hs: Float64Array;
  cs: Float64Array | null;
  saved: Float64Array; // [T, N, S·H]
}

interface Backward {
  gXProj: Float64Array;
  gWhh: Float64Array;
  gBhh: Float64Array | null;
  gH0: Float64Array;
  gC0: Float64Array | null;
}

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/** The step whose state step t starts from (−1: the initial state). */
const before = (p: Problem, t: number): number => (p.reverse ? (t + 1 < p.T ? t + 1 : -1) : t - 1);

/** Row b's state before step t. */
function prev(p: Problem, states: Float64Array, init: Float64Array, t: number, b: number): Float64Array {
  const tb = before(p, t), H = p.H;
  return tb >= 0 && b < p.batchSizes[tb] ? states.subarray((tb * p.N + b) * H, (tb * p.N + b + 1) * H) : init.subarray(b * H, (b + 1) * H);
}

function refForward(p: Problem): Forward {
  const { T, N, H, cell } = p;
  const G = GATES[cell], GH = G * H, SH = SAVED[cell] * H;
  const hs = new Float64Array(T * N * H), cs = cell === "lstm" ? new Float64Array(T * N * H) : null;
  const saved = new Float64Array(T * N * SH);
  for (let i = 0; i < T; i++) {
    const t = p.reverse ? T - 1 - i : i;
    for (let b = 0; b < p.batchSizes[t]; b++) {
      const hp = prev(p, hs, p.h0, t, b);
      const row = t * N + b;
      const gates = new Float64Array(GH);
      for (let q = 0; q < GH; q++) {
        let acc = 0;
        for (let k = 0; k < H; k++) acc += p.whh[q * H + k] * hp[k];
        gates[q] = acc;
      }
      const x = (q: number): number => p.xProj[row * GH + q];
      for (let j = 0; j < H; j++) {
        let h: number;
        if (cell === "lstm") {
          const cp = prev(p, cs!, p.c0!, t, b);
          const ig = sig(x(j) + gates[j]), fg = sig(x(H + j) + gates[H + j]);
          const gg = Math.tanh(x(2 * H + j) + gates[2 * H + j]), og = sig(x(3 * H + j) + gates[3 * H + j]);
          const c = fg * cp[j] + ig * gg;
          h = og * Math.tanh(c);
          cs![row * H + j] = c;
          for (const [k, v] of [ig, fg, gg, og].entries()) saved[row * SH + k * H + j] = v;
        } else if (cell === "gru") {
          const bh = p.bhh!;
          const r = sig(x(j) + gates[j] + bh[j]), z = sig(x(H + j) + gates[H + j] + bh[H + j]);
          const hn = gates[2 * H + j] + bh[2 * H + j];
          const n = Math.tanh(x(2 * H + j) + r * hn);
          h = (1 - z) * n + z * hp[j];
          for (const [k, v] of [r, z, n, hn].entries()) saved[row * SH + k * H + j] = v;
        } else {
          const pre = x(j) + gates[j];
          h = cell === "rnnTanh" ? Math.tanh(pre) : Math.max(pre, 0);
        }
        hs[row * H + j] = h;
      }
    }
  }
  return { hs, cs, saved };
}

/** Backward through time of refForward, given gHs and gCs (their entries at inactive rows are ignored). */
function refBackward(p: Problem, f: Forward, gHs: Float64Array, gCs: Float64Array | null): Backward {
  const { T, N, H, cell } = p;
  const G = GATES[cell], GH = G * H, SH = SAVED[cell] * H;
  const gXProj = new Float64Array(T * N * GH), gWhh = new Float64Array(GH * H);
  const gBhh = cell === "gru" ? new Float64Array(GH) : null;
  const dhCarry = new Float64Array(N * H), dcCarry = new Float64Array(N * H);
  for (let i = T - 1; i >= 0; i--) {
    const t = p.reverse ? T - 1 - i : i;
    for (let b = 0; b < p.batchSizes[t]; b++) {
      const row = t * N + b;
      const hp = prev(p, f.hs, p.h0, t, b);
      const gGate = new Float64Array(GH); // gradient of W_hh·h (+ b_hh for gru)
      const direct = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const dh = gHs[row * H + j] + dhCarry[b * H + j];
        const s = (k: number): number => f.saved[row * SH + k * H + j];
        if (cell === "lstm") {
          const [ig, fg, gg, og] = [s(0), s(1), s(2), s(3)];
          const cp = prev(p, f.cs!, p.c0!, t, b);
          const th = Math.tanh(f.cs![row * H + j]);
          const dc = gCs![row * H + j] + dcCarry[b * H + j] + dh * og * (1 - th * th);
          dcCarry[b * H + j] = dc * fg;
          const d = [dc * gg * ig * (1 - ig), dc * cp[j] * fg * (1 - fg), dc * ig * (1 - gg * gg), dh * th * og * (1 - og)];
          d.forEach((v, k) => {
            gXProj[row * GH + k * H + j] = v;
            gGate[k * H + j] = v;
          });
        } else if (cell === "gru") {
          const [r, z, n, hn] = [s(0), s(1), s(2), s(3)];
          const dnp = dh * (1 - z) * (1 - n * n);
          const dzp = dh * (hp[j] - n) * z * (1 - z);
          const drp = dnp * hn * r * (1 - r);
          direct[j] = dh * z;
          gXProj[row * GH + j] = drp;
          gXProj[row * GH + H + j] = dzp;
          gXProj[row * GH + 2 * H + j] = dnp;
          gGate[j] = drp;
          gGate[H + j] = dzp;
          gGate[2 * H + j] = dnp * r;
        } else {
          const h = f.hs[row * H + j];
          const d = cell === "rnnTanh" ? dh * (1 - h * h) : h > 0 ? dh : 0;
          gXProj[row * GH + j] = d;
          gGate[j] = d;
        }
      }
      for (let q = 0; q < GH; q++) {
        for (let k = 0; k < H; k++) gWhh[q * H + k] += gGate[q] * hp[k];
        if (gBhh) gBhh[q] += gGate[q];
      }
      for (let k = 0; k < H; k++) {
        let acc = direct[k];
        for (let q = 0; q < GH; q++) acc += gGate[q] * p.whh[q * H + k];
        dhCarry[b * H + k] = acc;
      }
    }
  }
  return { gXProj, gWhh, gBhh, gH0: dhCarry, gC0: cell === "lstm" ? dcCarry : null };
}

// ---- random problems ------------------------------------------------------------------------------

interface Shape {
  cell: Cell;
  reverse: boolean;
  T: number;
  N: number;
  H: number;
  batchSizes: number[];
}

/** Non-increasing batch sizes ≤ N; `drops` lets them fall (to 0 at the end sometimes), else all N. */
function randomBatchSizes(T: number, N: number, rng: Rng, drops: boolean): number[] {
  if (!drops) return new Array<number>(T).fill(N);
  const out: number[] = [];
  let cur = N;
  for (let t = 0; t < T; t++) {
    if (t > 0 && rng.next() < 0.5) cur = rng.int(0, cur);
    out.push(cur);
  }
  return out;
}

function randomProblem(s: Shape, rng: Rng): Problem {
  const G = GATES[s.cell], GH = G * s.H, scale = 1 / Math.sqrt(Math.max(s.H, 1));
  const arr = (n: number, f: () => number): Float64Array => Float64Array.from({ length: n }, f);
  // Values rounded to float32 so the native call sees exactly the reference's inputs.
  const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
  return {
    ...s,
    xProj: f32(arr(s.T * s.N * GH, () => 0.8 * rng.normal())),
    whh: f32(arr(GH * s.H, () => (2 * rng.next() - 1) * 1.5 * scale)),
    bhh: s.cell === "gru" ? f32(arr(GH, () => 0.3 * rng.normal())) : null,
    h0: f32(arr(s.N * s.H, () => 0.5 * rng.normal())),
    c0: s.cell === "lstm" ? f32(arr(s.N * s.H, () => 0.5 * rng.normal())) : null,
  };
}

// ---- native calls -----------------------------------------------------------------------------------

const SENTINEL = -7.25;

/** A dense float32 view of `shape` at a small offset inside a larger array (slack filled with SENTINEL). */
function f32View(shape: number[], data: ArrayLike<number> | null, offset = 3, slack = 2): View {
  const n = shape.reduce((a, b) => a * b, 1);
  const buf = new Float32Array(offset + n + slack).fill(SENTINEL);
  if (data) buf.set(Array.from(data), offset);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return { buf, dtype: "float32", shape, strides, offset };
}

const values = (v: View): Float32Array => {
  const n = v.shape.reduce((a, b) => a * b, 1);
  return (v.buf as Float32Array).subarray(v.offset, v.offset + n);
};

/** The slack around a view's elements must still hold SENTINEL (nothing written outside it). */
function assertUntouchedOutside(v: View, msg: string): void {
  const a = v.buf as Float32Array, n = v.shape.reduce((x, y) => x * y, 1);
  for (let i = 0; i < a.length; i++) {
    if (i >= v.offset && i < v.offset + n) continue;
    assert.equal(a[i], SENTINEL, `${msg}: element ${i} outside the view was written`);
  }
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { rtol: number; atol: number }, msg: string): number {
  assert.equal(actual.length, expected.length, `${msg}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i], err = Math.abs(a - e);
    assert.ok(Number.isFinite(a), `${msg}: element ${i} is ${a}, expected ${e}`);
    assert.ok(err <= tol.atol + tol.rtol * Math.abs(e), `${msg}: element ${i} is ${a}, expected ${e} (|Δ| ${err.toExponential(2)}; rtol ${tol.rtol}, atol ${tol.atol})`);
    worst = Math.max(worst, err / (tol.atol + tol.rtol * Math.abs(e)));
  }
  return worst;
}

interface NativeForward {
  hs: View;
  cs: View | null;
  saved: View;
  inputs: { xProj: View; whh: View; bhh: View | null; h0: View; c0: View | null };
}

function nativeForward(p: Problem): NativeForward {
  const { T, N, H, cell } = p;
  const GH = GATES[cell] * H;
  const inputs = {
    xProj: f32View([T, N, GH], p.xProj), whh: f32View([GH, H], p.whh), bhh: p.bhh ? f32View([GH], p.bhh) : null,
    h0: f32View([N, H], p.h0), c0: p.c0 ? f32View([N, H], p.c0) : null,
  };
  const hs = f32View([T, N, H], null), cs = cell === "lstm" ? f32View([T, N, H], null) : null;
  const saved = f32View([T, N, SAVED[cell] * H], null);
  const params: RecurrentParams = { cell, batchSizes: p.batchSizes, reverse: p.reverse };
  const ok = native().recurrentForward!(params, inputs.xProj, inputs.whh, inputs.bhh, inputs.h0, inputs.c0, hs, cs, saved);
  assert.equal(ok, true, "recurrentForward declined a valid call");
  return { hs, cs, saved, inputs };
}

function nativeBackward(p: Problem, f: NativeForward, gHs: Float64Array, gCs: Float64Array | null) {
  const { T, N, H, cell } = p;
  const GH = GATES[cell] * H;
  const out = {
    gXProj: f32View([T, N, GH], null), gWhh: f32View([GH, H], null), gBhh: cell === "gru" ? f32View([GH], null) : null,
    gH0: f32View([N, H], null), gC0: cell === "lstm" ? f32View([N, H], null) : null,
  };
  const gHsV = f32View([T, N, H], gHs), gCsV = gCs ? f32View([T, N, H], gCs) : null;
  const params: RecurrentParams = { cell, batchSizes: p.batchSizes, reverse: p.reverse };
  const { whh, bhh, h0, c0 } = f.inputs;
  const ok = native().recurrentBackward!(params, whh, bhh, h0, c0, f.hs, f.cs, f.saved, gHsV, gCsV, out.gXProj, out.gWhh, out.gBhh, out.gH0, out.gC0);
  assert.equal(ok, true, "recurrentBackward declined a valid call");
  return out;
}

/** Forward and backward of one problem, native against the reference; returns the worst error/tolerance ratios. */
function check(s: Shape, seed: number, label: string): { fwd: number; bwd: number } {
  const rng = new Rng(seed);
  const p = randomProblem(s, rng);
  const msg = `${label} ${s.cell}${s.reverse ? " reverse" : ""} T=${s.T} N=${s.N} H=${s.H} batchSizes=[${s.batchSizes}]`;
  const ref = refForward(p);
  const nf = nativeForward(p);
  let fwd = assertClose(values(nf.hs), ref.hs, FWD_TOL, `${msg}: hs`);
  if (nf.cs) fwd = Math.max(fwd, assertClose(values(nf.cs), ref.cs!, FWD_TOL, `${msg}: cs`));
  fwd = Math.max(fwd, assertClose(values(nf.saved), ref.saved, FWD_TOL, `${msg}: saved`));
  for (const [name, v] of [["hs", nf.hs], ["cs", nf.cs], ["saved", nf.saved]] as const) if (v) assertUntouchedOutside(v, `${msg}: ${name}`);

  // Gradients of every entry, inactive rows included (the kernel must ignore those).
  const gHs = Float64Array.from(Float32Array.from({ length: s.T * s.N * s.H }, () => rng.normal()));
  const gCs = s.cell === "lstm" ? Float64Array.from(Float32Array.from({ length: s.T * s.N * s.H }, () => rng.normal())) : null;
  // The backward starts from the native forward's (float32) activations, the reference from its own.
  const rb = refBackward(p, ref, gHs, gCs);
  const nb = nativeBackward(p, nf, gHs, gCs);
  let bwd = 0;
  for (const key of ["gXProj", "gWhh", "gBhh", "gH0", "gC0"] as const) {
    const v = nb[key], r = rb[key];
    assert.equal(v === null, r === null, `${msg}: ${key} presence`);
    if (!v || !r) continue;
    bwd = Math.max(bwd, assertClose(values(v), r, gradTol(r), `${msg}: ${key}`));
    assertUntouchedOutside(v, `${msg}: ${key}`);
  }
  return { fwd, bwd };
}


/** Small and odd shapes, every cell, both directions. */
function smallShapes(rng: Rng): Shape[] {
  const shapes: Shape[] = [];
  const sizes: [number, number, number, boolean][] = [
    [1, 1, 5, false], [1, 3, 16, false], [4, 1, 9, false], [5, 3, 13, true], [6, 7, 20, true], [3, 2, 33, true], [2, 6, 8, false], [7, 5, 3, true],
  ];
  for (const cell of CELLS) {
    for (const reverse of [false, true]) {
      for (const [T, N, H, drops] of sizes) shapes.push({ cell, reverse, T, N, H, batchSizes: randomBatchSizes(T, N, rng, drops) });
    }
  }
  return shapes;
}

// ---- tests --------------------------------------------------------------------------------------------

test("the reference's backward matches finite differences of its forward (every cell, both directions, packed)", () => {
  const rng = new Rng(5);
  for (const cell of CELLS) {
    for (const reverse of [false, true]) {
      const s: Shape = { cell, reverse, T: 3, N: 3, H: 2, batchSizes: [3, 2, 1] };
      const p = randomProblem(s, rng);
      const gHs = Float64Array.from({ length: 3 * 3 * 2 }, () => rng.normal());
      const gCs = cell === "lstm" ? Float64Array.from({ length: 3 * 3 * 2 }, () => rng.normal()) : null;
      const loss = (q: Problem): number => {
        const f = refForward(q);
        let l = 0;
        q.batchSizes.forEach((n, t) => {
          for (let b = 0; b < n; b++) {
            for (let j = 0; j < q.H; j++) {
              const i = (t * q.N + b) * q.H + j;
              l += gHs[i] * f.hs[i] + (gCs ? gCs[i] * f.cs![i] : 0);
            }
          }
        });
        return l;
      };
      const g = refBackward(p, refForward(p), gHs, gCs);
      const pairs: [keyof Problem & ("xProj" | "whh" | "bhh" | "h0" | "c0"), Float64Array | null][] = [
        ["xProj", g.gXProj], ["whh", g.gWhh], ["bhh", g.gBhh], ["h0", g.gH0], ["c0", g.gC0],
      ];
      for (const [key, grad] of pairs) {
        const base = p[key];
        if (!base || !grad) continue;
        for (let i = 0; i < base.length; i++) {
          const eps = 1e-6;
          const plus = { ...p, [key]: Float64Array.from(base) }, minus = { ...p, [key]: Float64Array.from(base) };
          (plus[key] as Float64Array)[i] += eps;
          (minus[key] as Float64Array)[i] -= eps;
          const fd = (loss(plus) - loss(minus)) / (2 * eps);
          assert.ok(Math.abs(fd - grad[i]) <= 1e-6 + 1e-5 * Math.abs(fd), `${cell}${reverse ? " reverse" : ""} d/d${key}[${i}]: backward ${grad[i]}, finite differences ${fd}`);
        }
      }
    }
  }
});

test("recurrentForward/Backward equal the float64 reference: every cell, both directions, odd sizes, packed batches, 1 and 2 threads, both micro-kernels", { skip: skipNative }, () => {
  const shapes = smallShapes(new Rng(11));
  forEachKernel((kernel) => {
    for (const threads of [1, 2]) {
      withThreads(threads, () => {
        shapes.forEach((s, i) => check(s, 100 + i, `${kernel}, ${threads} thread(s):`));
      });
    }
  });
});

test("large enough to be spread over the pool on 2 and 3 threads: row groups for the whole sequence, or per-step tiles", { skip: skipNative }, () => {
  const rng = new Rng(23);
  // Row groups (at least as many 6-row panels as threads); per-step tiles of rows × 16-unit blocks
  // (fewer panels than threads and a big step: N = 5 with H = 170, N = 8 on 3 threads).
  const big: [number, number, number][] = [[5, 37, 70], [3, 50, 24], [4, 13, 129], [3, 5, 170], [4, 8, 80]];
  let fwd = 0, bwd = 0;
  for (const threads of [2, 3]) {
    withThreads(threads, () => {
      for (const cell of CELLS) {
        for (const [T, N, H] of big) {
          for (const reverse of [false, true]) {
            const s: Shape = { cell, reverse, T, N, H, batchSizes: randomBatchSizes(T, N, rng, true) };
            const r = check(s, 7 * T + N + H, `${threads} thread(s):`);
            fwd = Math.max(fwd, r.fwd);
            bwd = Math.max(bwd, r.bwd);
          }
        }
      }
    });
  }
  console.log(`native-recurrent (pool): worst |Δ|/tolerance: forward ${fwd.toFixed(3)}, backward ${bwd.toFixed(3)}`);
});

for (const s of [
  { cell: "lstm", reverse: false, T: 4, N: 40, H: 72, batchSizes: [40, 33, 20, 7] },
  { cell: "gru", reverse: true, T: 3, N: 5, H: 100, batchSizes: [5, 4, 2] },
] as Shape[]) test(`results are reproducible bit for bit, and do not depend on the thread count (${s.cell}, N = ${s.N}, H = ${s.H})`, { skip: skipNative }, () => {
  const p = randomProblem(s, new Rng(3));
  const run = (): Float32Array[] => {
    const f = nativeForward(p);
    const gHs = Float64Array.from({ length: s.T * s.N * s.H }, (_, i) => Math.sin(i));
    const gCs = Float64Array.from({ length: s.T * s.N * s.H }, (_, i) => Math.cos(i));
    const b = nativeBackward(p, f, gHs, s.cell === "lstm" ? gCs : null);
    return [f.hs, f.cs, f.saved, b.gXProj, b.gWhh, b.gBhh, b.gH0, b.gC0].filter((v): v is View => v !== null).map((v) => values(v).slice());
  };
  let first: Float32Array[] = [];
  withThreads(1, () => (first = run()));
  for (const threads of [1, 2, 3]) {
    withThreads(threads, () => {
      run().forEach((a, i) => assert.deepEqual(a, first[i], `output ${i} on ${threads} thread(s)`));
    });
  }
});

test("error budget: worst error relative to the tolerance over random problems (printed)", { skip: skipNative }, () => {
  const rng = new Rng(77);
  let fwd = 0, bwd = 0;
  for (let k = 0; k < 24; k++) {
    const cell = CELLS[k % 4];
    const T = rng.int(1, 9), N = rng.int(1, 12), H = rng.int(1, 40);
    const r = check({ cell, reverse: rng.next() < 0.5, T, N, H, batchSizes: randomBatchSizes(T, N, rng, rng.next() < 0.6) }, 500 + k, "random:");
    fwd = Math.max(fwd, r.fwd);
    bwd = Math.max(bwd, r.bwd);
  }
  console.log(`native-recurrent: worst |Δ|/tolerance: forward ${fwd.toFixed(3)}, backward ${bwd.toFixed(3)}`);
});

test("empty problems: T = 0, N = 0 or H = 0 write every (empty or zero) output", { skip: skipNative }, () => {
  for (const cell of CELLS) {
    for (const [T, N, H] of [[0, 3, 4], [2, 0, 4], [2, 3, 0]]) {
      const s: Shape = { cell, reverse: false, T, N, H, batchSizes: new Array<number>(T).fill(N) };
      const p = randomProblem(s, new Rng(1));
      const f = nativeForward(p);
      const gHs = new Float64Array(T * N * H), gCs = cell === "lstm" ? new Float64Array(T * N * H) : null;
      const b = nativeBackward(p, f, gHs, gCs);
      assert.ok(values(b.gWhh).every((v) => v === 0), `${cell} ${T}/${N}/${H}: gWhh zero`);
      assert.ok(values(b.gH0).every((v) => v === 0), `${cell} ${T}/${N}/${H}: gH0 zero`);
      if (b.gBhh) assert.ok(values(b.gBhh).every((v) => v === 0));
    }
  }
});

test("every PyTorch layer fixture (test/fixtures/recurrent.json) runs through the native kernels and matches torch", { skip: skipNative }, () => {
  const b = native() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const calls = { recurrentForward: 0, recurrentBackward: 0 };
  const original = { recurrentForward: b.recurrentForward, recurrentBackward: b.recurrentBackward };
  for (const key of ["recurrentForward", "recurrentBackward"] as const) {
    b[key] = (...args: unknown[]) => {
      calls[key]++;
      return original[key].apply(b, args);
    };
  }
  try {
    for (const [name, c] of Object.entries(fixture.layers)) {
      const before = { ...calls };
      checkRecurrentCase(name, c, "native");
      // LSTM projections (projSize) are not the fused entries'; every other layer must have used them.
      if (c.opts.proj_size) continue;
      assert.ok(calls.recurrentForward > before.recurrentForward, `${name}: recurrentForward ran`);
      assert.ok(calls.recurrentBackward > before.recurrentBackward, `${name}: recurrentBackward ran`);
    }
  } finally {
    Object.assign(b, original);
  }
});

// ---- declining and refusing ---------------------------------------------------------------------------

function lstmOperands(T = 2, N = 3, H = 4) {
  const GH = 4 * H;
  return {
    xProj: f32View([T, N, GH], null, 0, 0), whh: f32View([GH, H], null, 0, 0), h0: f32View([N, H], null, 0, 0), c0: f32View([N, H], null, 0, 0),
    hs: f32View([T, N, H], null, 0, 0), cs: f32View([T, N, H], null, 0, 0), saved: f32View([T, N, 4 * H], null, 0, 0),
  };
}

test("operands the kernels do not take are declined (false, nothing written): float64, non-contiguous, outputs sharing memory", { skip: skipNative }, () => {
  const b = native();
  const params: RecurrentParams = { cell: "lstm", batchSizes: [3, 3], reverse: false };
  const o = lstmOperands();
  const untouched = (v: View): boolean => (v.buf as Float32Array).every((x) => x === SENTINEL);
  const call = (over: Partial<typeof o>): boolean => {
    const a = { ...o, ...over };
    return b.recurrentForward!(params, a.xProj, a.whh, null, a.h0, a.c0, a.hs, a.cs, a.saved);
  };
  const f64: View = { ...o.h0, buf: new Float64Array(12), dtype: "float64" };
  assert.equal(call({ h0: f64 }), false);
  const transposed: View = { ...o.whh, shape: [16, 4], strides: [1, 16] };
  assert.equal(call({ whh: transposed }), false);
  const shared = new Float32Array(2 * 3 * 4 + 2 * 3 * 16).fill(SENTINEL);
  const hs: View = { ...o.hs, buf: shared }, saved: View = { ...o.saved, buf: shared, offset: 24 };
  assert.equal(call({ hs, saved }), false);
  const hsOverH0: View = { ...o.hs, buf: o.h0.buf };
  assert.equal(call({ hs: { ...hsOverH0, shape: [1, 3, 4], strides: [12, 4, 1] } }), false);
  assert.ok(untouched(o.hs) && untouched(o.cs) && untouched(o.saved));
  assert.ok(shared.every((x) => x === SENTINEL));
  // The backward declines alike.
  const g = lstmOperands();
  const gX = f32View([2, 3, 16], null, 0, 0), gW = f32View([16, 4], null, 0, 0), gH0 = f32View([3, 4], null, 0, 0), gC0 = f32View([3, 4], null, 0, 0);
  assert.equal(b.recurrentBackward!(params, g.whh, null, g.h0, g.c0, g.hs, g.cs, g.saved, g.hs, g.cs, gX, gW, null, g.h0, gC0), false);
  assert.equal(b.recurrentBackward!(params, g.whh, null, f64, g.c0, g.hs, g.cs, g.saved, g.hs, g.cs, gX, gW, null, gH0, gC0), false);
  assert.ok([gX, gW, gH0, gC0].every(untouched));
});

/** The call must throw an error naming the kernel and matching pattern, leaving every output as it was. */
function refuses(fn: () => unknown, pattern: RegExp, outputs: View[]): void {
  const before = outputs.map((v) => (v.buf as Float32Array).slice());
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /recurrent(Forward|Backward): native backend/);
    assert.match(e.message, pattern);
    return true;
  });
  outputs.forEach((v, i) => assert.deepEqual(v.buf, before[i], `output ${i} was written despite the error`));
}

test("sizes that do not fit together, bad batch sizes and bad operands are refused with an error, never a crash", { skip: skipNative }, () => {
  const b = native();
  const P = (cell: Cell, batchSizes: number[], reverse = false): RecurrentParams => ({ cell, batchSizes, reverse });
  const o = lstmOperands();
  const outs = [o.hs, o.cs, o.saved];
  const fwd = (p: RecurrentParams, over: Partial<typeof o> & { bhh?: View | null } = {}) => () => {
    const a = { ...o, ...over };
    return b.recurrentForward!(p, a.xProj, a.whh, over.bhh ?? null, a.h0, p.cell === "lstm" ? a.c0 : null, a.hs, p.cell === "lstm" ? a.cs : null, a.saved);
  };
  refuses(fwd(P("lstm", [3, 3]), { xProj: f32View([2, 3, 12], null, 0, 0) }), /xProj must be \[2, 3, 16\] \(T, N, G·H\), got \[2, 3, 12\]/, outs);
  refuses(fwd(P("lstm", [3, 3]), { whh: f32View([16, 5], null, 0, 0) }), /whh must be \[16, 4\]/, outs);
  refuses(fwd(P("lstm", [3, 3, 3])), /xProj must be \[3, 3, 16\]/, outs);
  refuses(fwd(P("lstm", [3, 3]), { hs: f32View([2, 3, 5], null, 0, 0) }), /hs must be \[2, 3, 4\]/, outs);
  refuses(fwd(P("lstm", [3, 3]), { saved: f32View([2, 3, 12], null, 0, 0) }), /saved must be \[2, 3, 16\]/, outs);
  refuses(fwd(P("lstm", [2, 3])), /batchSizes must be non-increasing .* got 3 at step 1 after 2/, outs);
  refuses(fwd(P("lstm", [4, 3])), /each at most the batch size 3, got 4 at step 0/, outs);
  refuses(fwd(P("lstm", [3, -1])), /batchSizes must be an integer/, outs);
  refuses(fwd(P("lstm", [3, 1.5])), /batchSizes must be an integer/, outs);
  refuses(fwd(P("lstm", [3, 3]), { bhh: f32View([16], null, 0, 0) }), /bhh must be absent for a lstm cell/, outs);
  refuses(fwd(P("gru", [3, 3])), /bhh is required for a gru cell/, outs);
  refuses(fwd(P("rnnTanh", [3, 3])), /xProj must be \[2, 3, 4\]/, outs);
  refuses(fwd(P("lstm", [3, 3]), { h0: f32View([3], null, 0, 0) }), /h0 must be a float32 \[N, H\] matrix, got \[3\]/, outs);
  refuses(() => b.recurrentForward!(P("lstm", [3, 3]), o.xProj, o.whh, null, o.h0, null, o.hs, o.cs, o.saved), /c0 is required for a lstm cell/, outs);
  // Views past the end of their arrays (dense, so the TypeScript side hands them on).
  refuses(fwd(P("lstm", [3, 3]), { h0: { ...o.h0, offset: 1 } }), /h0 \(shape \[3, 4\], strides \[4, 1\], offset 1\) reaches elements 1\.\.12 but its buffer holds 12/, outs);
  refuses(fwd(P("lstm", [3, 3]), { saved: { ...o.saved, offset: 5 } }), /saved .* reaches elements .* but its buffer holds/, outs);
  refuses(fwd(P("lstm", [3, 3]), { hs: { ...o.hs, buf: new Float32Array(5) } }), /hs .* but its buffer holds 5/, outs);

  // Backward: the same rules for its fourteen operands.
  const g = { gHs: f32View([2, 3, 4], null, 0, 0), gCs: f32View([2, 3, 4], null, 0, 0), gX: f32View([2, 3, 16], null, 0, 0), gW: f32View([16, 4], null, 0, 0), gH0: f32View([3, 4], null, 0, 0), gC0: f32View([3, 4], null, 0, 0) };
  const gOuts = [g.gX, g.gW, g.gH0, g.gC0];
  const bwd = (p: RecurrentParams, over: Partial<typeof g> = {}) => () => {
    const a = { ...g, ...over };
    return b.recurrentBackward!(p, o.whh, null, o.h0, o.c0, o.hs, o.cs, o.saved, a.gHs, a.gCs, a.gX, a.gW, null, a.gH0, a.gC0);
  };
  refuses(bwd(P("lstm", [3, 3]), { gX: f32View([2, 3, 15], null, 0, 0) }), /gXProj must be \[2, 3, 16\]/, gOuts);
  refuses(bwd(P("lstm", [3, 3]), { gW: f32View([4, 16], null, 0, 0) }), /gWhh must be \[16, 4\]/, gOuts);
  refuses(bwd(P("lstm", [3, 3]), { gH0: f32View([2, 4], null, 0, 0) }), /gH0 must be \[3, 4\]/, gOuts);
  refuses(bwd(P("lstm", [3, 3]), { gHs: { ...g.gHs, offset: 2 } }), /gHs .* reaches elements/, gOuts);
  refuses(bwd(P("lstm", [3, 4])), /batchSizes must be non-increasing/, gOuts);
  refuses(() => b.recurrentBackward!(P("lstm", [3, 3]), o.whh, null, o.h0, o.c0, o.hs, o.cs, o.saved, g.gHs, null, g.gX, g.gW, null, g.gH0, g.gC0), /gCs is required/, gOuts);
  refuses(() => b.recurrentBackward!(P("gru", [3, 3]), f32View([12, 4], null, 0, 0), f32View([12], null, 0, 0), o.h0, null, o.hs, null, o.saved, g.gHs, null, f32View([2, 3, 12], null, 0, 0), f32View([12, 4], null, 0, 0), null, g.gH0, null), /gBhh is required for a gru cell/, gOuts);
});

test("malformed calls straight to the addon are refused: wrong typed arrays, missing buffers, truncated descriptions", { skip: skipNative }, () => {
  const r = loadAddon();
  if (!r.addon) throw new Error(r.reason);
  const addon = r.addon;
  const o = lstmOperands();
  const describe = (T: number, sizes: number[]): Float64Array => {
    begin();
    nums([2, 0, T]); nums(sizes);
    view(o.xProj, 1); view(o.whh, 2); num(0); view(o.h0, 4); num(1); view(o.c0, 5); view(o.hs, 6); num(1); view(o.cs, 7); view(o.saved, 8);
    return end().slice();
  };
  const bufs = [o.xProj, o.whh, o.whh, o.h0, o.c0, o.hs, o.cs, o.saved].map((v) => v.buf as Float32Array);
  const outs = [o.hs, o.cs, o.saved];
  addon.recurrentForward(describe(2, [3, 3]), ...bufs); // valid
  const wrong = [...bufs] as ArrayBufferView[];
  wrong[5] = new Float64Array(24);
  assert.throws(() => addon.recurrentForward(describe(2, [3, 3]), ...wrong), /recurrentForward: native backend: hs is float32 but its buffer is a different typed array/);
  assert.throws(() => addon.recurrentForward(describe(2, [3, 3]), ...bufs.slice(0, 7)), /saved names buffer 8 but only 7 were passed/);
  const truncated = describe(2, [3, 3]);
  truncated[0] = 5;
  assert.throws(() => addon.recurrentForward(truncated, ...bufs), /call description ended before batchSizes/);
  // A step count far beyond the description (and a count that is not an integer) is refused before anything is sized by it.
  begin();
  nums([2, 0, 1e12]);
  assert.throws(() => addon.recurrentForward(end(), ...bufs), /ended before batchSizes \(1000000000000 steps\)/);
  begin();
  nums([7, 0, 2]);
  assert.throws(() => addon.recurrentForward(end(), ...bufs), /cell must be an integer in \[0, 3\]/);
  // Everything the valid call wrote stays; the refused ones wrote nothing more.
  const after = outs.map((v) => (v.buf as Float32Array).slice());
  addon.recurrentForward(describe(2, [3, 3]), ...bufs);
  outs.forEach((v, i) => assert.deepEqual(v.buf, after[i]));
  // Alive and correct afterwards.
  check({ cell: "gru", reverse: true, T: 3, N: 4, H: 6, batchSizes: [4, 2, 1] }, 9, "after the errors:");
});
