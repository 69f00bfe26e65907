// The optional Backend.recurrentForward / recurrentBackward entries written plainly in TypeScript,
// straight from the contract's doc comments (src/backend/backend.ts): a cpu backend with them lets
// the tests drive ops/recurrent's fused path (its packing, final states, the one autograd node)
// without a native build, and says in code what a native kernel must compute.
// Loops over rows and units; float32 buffers of the cpu backend (typed arrays), contiguous views.

import type { Backend, RecurrentParams, View } from "../../src/backend/backend.js";

type F32 = Float32Array;

const arr = (v: View): F32 => v.buf as unknown as F32;
const sig = (x: number): number => 1 / (1 + Math.exp(-x));

export interface ReferenceRecurrentOptions {
  /** Decline (return false) every call, as a backend that does not take the operands. */
  decline?: boolean;
  /** Counts the calls that ran. */
  calls?: { forward: number; backward: number };
}

/** base plus reference recurrentForward/recurrentBackward. */
export function withReferenceRecurrent(base: Backend, name: string, opts: ReferenceRecurrentOptions = {}): Backend {
  return {
    ...base,
    name,
    recurrentForward(p, xProj, whh, bhh, h0, c0, hs, cs, saved) {
      if (opts.decline) return false;
      if (opts.calls) opts.calls.forward++;
      referenceForward(p, xProj, whh, bhh, h0, c0, hs, cs, saved);
      return true;
    },
    recurrentBackward(p, whh, bhh, h0, c0, hs, cs, saved, gHs, gCs, gXProj, gWhh, gBhh, gH0, gC0) {
      if (opts.decline) return false;
      if (opts.calls) opts.calls.backward++;
      referenceBackward(p, whh, bhh, h0, c0, hs, cs, saved, gHs, gCs, gXProj, gWhh, gBhh, gH0, gC0);
      return true;
    },
  };
}

function sizes(p: RecurrentParams, hs: View): { T: number; N: number; H: number; G: number } {
  const [T, N, H] = hs.shape;
  return { T, N, H, G: p.cell === "lstm" ? 4 : p.cell === "gru" ? 3 : 1 };
}

/** Steps in the order the recurrence walks them. */
function order(p: RecurrentParams, T: number): number[] {
  const ts = Array.from({ length: T }, (_, i) => i);
  return p.reverse ? ts.reverse() : ts;
}

/** The step whose state row b starts step t from, or -1 for h0/c0. */
function previousStep(p: RecurrentParams, t: number, b: number): number {
  const T = p.batchSizes.length;
  if (!p.reverse) return t > 0 ? t - 1 : -1;
  return t + 1 < T && b < p.batchSizes[t + 1] ? t + 1 : -1;
}

function referenceForward(p: RecurrentParams, xProj: View, whh: View, bhh: View | null, h0: View, c0: View | null, hs: View, cs: View | null, saved: View): void {
  const { T, N, H, G } = sizes(p, hs);
  const X = arr(xProj), W = arr(whh), B = bhh ? arr(bhh) : null, HS = arr(hs), CS = cs ? arr(cs) : null, S = arr(saved);
  const H0 = arr(h0), C0 = c0 ? arr(c0) : null;
  const xo = xProj.offset, wo = whh.offset, bo = bhh?.offset ?? 0, ho = hs.offset, co = cs?.offset ?? 0, so = saved.offset;
  const SH = saved.shape[2];
  for (const t of order(p, T)) {
    for (let b = 0; b < N; b++) {
      const row = (t * N + b) * H;
      if (b >= p.batchSizes[t]) {
        for (let j = 0; j < H; j++) {
          HS[ho + row + j] = 0;
          if (CS) CS[co + row + j] = 0;
        }
        for (let j = 0; j < SH; j++) S[so + (t * N + b) * SH + j] = 0;
        continue;
      }
      const prev = previousStep(p, t, b);
      const hPrev = (j: number): number => (prev < 0 ? H0[h0.offset + b * H + j] : HS[ho + (prev * N + b) * H + j]);
      const cPrev = (j: number): number => (prev < 0 ? C0![c0!.offset + b * H + j] : CS![co + (prev * N + b) * H + j]);
      // a = W_hh·h_prev (+ b_hh for gru), one entry per gate unit.
      const a = new Float64Array(G * H);
      for (let k = 0; k < G * H; k++) {
        let s = B ? B[bo + k] : 0;
        for (let j = 0; j < H; j++) s += W[wo + k * H + j] * hPrev(j);
        a[k] = s;
      }
      const x = (k: number): number => X[xo + (t * N + b) * G * H + k];
      const sv = (t * N + b) * SH;
      for (let j = 0; j < H; j++) {
        if (p.cell === "rnnTanh" || p.cell === "rnnRelu") {
          const v = x(j) + a[j];
          HS[ho + row + j] = p.cell === "rnnTanh" ? Math.tanh(v) : Math.max(0, v);
        } else if (p.cell === "lstm") {
          const i = sig(x(j) + a[j]), f = sig(x(H + j) + a[H + j]), g = Math.tanh(x(2 * H + j) + a[2 * H + j]), o = sig(x(3 * H + j) + a[3 * H + j]);
          const c = f * cPrev(j) + i * g;
          CS![co + row + j] = c;
          HS[ho + row + j] = o * Math.tanh(c);
          S[so + sv + j] = i;
          S[so + sv + H + j] = f;
          S[so + sv + 2 * H + j] = g;
          S[so + sv + 3 * H + j] = o;
        } else {
          const r = sig(x(j) + a[j]), z = sig(x(H + j) + a[H + j]), hn = a[2 * H + j];
          const n = Math.tanh(x(2 * H + j) + r * hn);
          HS[ho + row + j] = n + z * (hPrev(j) - n);
          S[so + sv + j] = r;
          S[so + sv + H + j] = z;
          S[so + sv + 2 * H + j] = n;
          S[so + sv + 3 * H + j] = hn;
        }
      }
    }
  }
}

function referenceBackward(
  p: RecurrentParams, whh: View, _bhh: View | null, h0: View, c0: View | null, hs: View, cs: View | null, saved: View,
  gHs: View, gCs: View | null, gXProj: View, gWhh: View, gBhh: View | null, gH0: View, gC0: View | null,
): void {
  const { T, N, H, G } = sizes(p, hs);
  const W = arr(whh), HS = arr(hs), CS = cs ? arr(cs) : null, S = arr(saved), H0 = arr(h0), C0 = c0 ? arr(c0) : null;
  const GH = arr(gHs), GC = gCs ? arr(gCs) : null, GX = arr(gXProj), GW = arr(gWhh), GB = gBhh ? arr(gBhh) : null;
  const wo = whh.offset, ho = hs.offset, co = cs?.offset ?? 0, so = saved.offset, SH = saved.shape[2];
  GW.fill(0, gWhh.offset, gWhh.offset + G * H * H);
  if (GB) GB.fill(0, gBhh!.offset, gBhh!.offset + G * H);
  // Running gradients of each row's state, carried between its active steps.
  const dhRun = new Float64Array(N * H), dcRun = new Float64Array(N * H);
  for (const t of order(p, T).reverse()) {
    for (let b = 0; b < N; b++) {
      const gx = gXProj.offset + (t * N + b) * G * H;
      if (b >= p.batchSizes[t]) {
        GX.fill(0, gx, gx + G * H);
        continue;
      }
      const row = (t * N + b) * H;
      const prev = previousStep(p, t, b);
      const hPrev = (j: number): number => (prev < 0 ? H0[h0.offset + b * H + j] : HS[ho + (prev * N + b) * H + j]);
      const cPrev = (j: number): number => (prev < 0 ? C0![c0!.offset + b * H + j] : CS![co + (prev * N + b) * H + j]);
      const sv = so + (t * N + b) * SH;
      // da: gradient of W_hh·h_prev (+ b_hh) per gate unit; dhDirect: h_prev's gradient not through W_hh.
      const da = new Float64Array(G * H);
      const dhDirect = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const dh = GH[gHs.offset + row + j] + dhRun[b * H + j];
        if (p.cell === "rnnTanh" || p.cell === "rnnRelu") {
          const h = HS[ho + row + j];
          const d = p.cell === "rnnTanh" ? dh * (1 - h * h) : h > 0 ? dh : 0;
          da[j] = d;
          GX[gx + j] = d;
        } else if (p.cell === "lstm") {
          const i = S[sv + j], f = S[sv + H + j], g = S[sv + 2 * H + j], o = S[sv + 3 * H + j];
          const tc = Math.tanh(CS![co + row + j]);
          const dc = GC![gCs!.offset + row + j] + dcRun[b * H + j] + dh * o * (1 - tc * tc);
          const gates = [dc * g * i * (1 - i), dc * cPrev(j) * f * (1 - f), dc * i * (1 - g * g), dh * tc * o * (1 - o)];
          gates.forEach((d, k) => {
            da[k * H + j] = d;
            GX[gx + k * H + j] = d;
          });
          dcRun[b * H + j] = dc * f;
        } else {
          const r = S[sv + j], z = S[sv + H + j], n = S[sv + 2 * H + j], hn = S[sv + 3 * H + j];
          const dn = dh * (1 - z), dz = dh * (hPrev(j) - n);
          const dan = dn * (1 - n * n);
          const dar = dan * hn * r * (1 - r), daz = dz * z * (1 - z);
          GX[gx + j] = dar;
          GX[gx + H + j] = daz;
          GX[gx + 2 * H + j] = dan;
          da[j] = dar;
          da[H + j] = daz;
          da[2 * H + j] = dan * r;
          dhDirect[j] = dh * z;
        }
      }
      for (let k = 0; k < G * H; k++) {
        if (GB) GB[gBhh!.offset + k] += da[k];
        for (let j = 0; j < H; j++) GW[gWhh.offset + k * H + j] += da[k] * hPrev(j);
      }
      for (let j = 0; j < H; j++) {
        let s = dhDirect[j];
        for (let k = 0; k < G * H; k++) s += W[wo + k * H + j] * da[k];
        dhRun[b * H + j] = s;
      }
    }
  }
  const GH0 = arr(gH0);
  for (let k = 0; k < N * H; k++) GH0[gH0.offset + k] = dhRun[k];
  if (gC0) {
    const GC0 = arr(gC0);
    for (let k = 0; k < N * H; k++) GC0[gC0.offset + k] = dcRun[k];
  }
}
