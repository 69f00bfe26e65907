// Convolution kernels of the cpu backend: forward, backward-data and backward-filter, for 1, 2 or
// 3 spatial dims, with stride, asymmetric padding, dilation and groups.
//
// All three are GEMMs over the implicit im2col matrix (im2col.ts): the packers read the image
// and the output gradient directly and the stores write (or col2im-scatter) into the result, so
// no column buffer is ever built. The batch is folded into the GEMM's position dimension, so
// the weights are packed once per call rather than once per image.

import type { ConvParams, View } from "../backend.js";
import { arr } from "./strided.js";
import { isDense, numelOf } from "../../core/shape.js";
import { blockedGemm, packRowsStrided, type FloatArray } from "./gemm.js";
import {
  convGeometry, packColumnsOfImage, packColumnsOfOutput, packRowsOfImage, packRowsOfOutput,
  scatterToImage, storeToFilter, storeToOutput,
} from "./im2col.js";
import { implicitConvBackwardData, implicitConvBackwardFilter, implicitConvForward } from "./im2col-implicit.js";

/** A view's elements as a dense row-major run: its own buffer when dense, else a packed copy. */
function dense(v: View): { data: FloatArray; offset: number } {
  if (isDense(v)) return { data: arr(v) as FloatArray, offset: v.offset };
  const n = numelOf(v.shape);
  const src = arr(v) as FloatArray;
  const out = src instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  const nd = v.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let off = v.offset;
  for (let i = 0; i < n; i++) {
    out[i] = src[off];
    for (let d = nd - 1; d >= 0; d--) {
      off += v.strides[d];
      if (++idx[d] < v.shape[d]) break;
      off -= v.strides[d] * v.shape[d];
      idx[d] = 0;
    }
  }
  return { data: out, offset: 0 };
}

function zero(v: View): void {
  const a = arr(v);
  a.fill(0, v.offset, v.offset + numelOf(v.shape));
}

/** out[N, Cout, out…] = conv(x[N, Cin, in…], w[Cout, Cin/groups, k…]). */
export function conv(x: View, w: View, out: View, p: ConvParams): void {
  if (numelOf(out.shape) === 0) return;
  const g = convGeometry(x.shape, w.shape, out.shape, p);
  if (g.taps === 0) return zero(out);
  const X = dense(x), Wt = dense(w), O = arr(out) as FloatArray;
  if (implicitConvForward(g, X.data, X.offset, Wt.data, Wt.offset, O, out.offset)) return;
  const positions = g.batch * g.outPlane;
  for (let grp = 0; grp < g.groups; grp++) {
    blockedGemm(
      g.outPerGroup, positions, g.taps,
      packRowsStrided(Wt.data, Wt.offset + grp * g.outPerGroup * g.taps, g.taps, 1),
      packColumnsOfImage(X.data, X.offset + grp * g.inPerGroup * g.inPlane, g),
      storeToOutput(O, out.offset + grp * g.outPerGroup * g.outPlane, g),
    );
  }
}

/** gx[N, Cin, in…] = the gradient of conv w.r.t. its input, given gy[N, Cout, out…]. */
export function convBackwardData(gy: View, w: View, gx: View, p: ConvParams): void {
  zero(gx);
  if (numelOf(gx.shape) === 0 || numelOf(gy.shape) === 0) return;
  const g = convGeometry(gx.shape, w.shape, gy.shape, p);
  const GY = dense(gy), Wt = dense(w), GX = arr(gx) as FloatArray;
  if (implicitConvBackwardData(g, GY.data, GY.offset, Wt.data, Wt.offset, GX, gx.offset)) return;
  const positions = g.batch * g.outPlane;
  for (let grp = 0; grp < g.groups; grp++) {
    // col'[tap, n] = Σ_co w[co, tap]·gy[co, n]: A is the group's weights read transposed.
    blockedGemm(
      g.taps, positions, g.outPerGroup,
      packRowsStrided(Wt.data, Wt.offset + grp * g.outPerGroup * g.taps, 1, g.taps),
      packColumnsOfOutput(GY.data, GY.offset + grp * g.outPerGroup * g.outPlane, g),
      scatterToImage(GX, gx.offset + grp * g.inPerGroup * g.inPlane, g),
    );
  }
}

/** gw[Cout, Cin/groups, k…] = the gradient of conv w.r.t. its weights, given x and gy. */
export function convBackwardFilter(x: View, gy: View, gw: View, p: ConvParams): void {
  if (numelOf(gw.shape) === 0) return;
  const g = convGeometry(x.shape, gw.shape, gy.shape, p);
  const positions = g.batch * g.outPlane;
  if (positions === 0) return zero(gw);
  const X = dense(x), GY = dense(gy), GW = arr(gw) as FloatArray;
  if (implicitConvBackwardFilter(g, X.data, X.offset, GY.data, GY.offset, GW, gw.offset)) return;
  for (let grp = 0; grp < g.groups; grp++) {
    blockedGemm(
      g.outPerGroup, g.taps, positions,
      packRowsOfOutput(GY.data, GY.offset + grp * g.outPerGroup * g.outPlane, g),
      packRowsOfImage(X.data, X.offset + grp * g.inPerGroup * g.inPlane, g),
      storeToFilter(GW, gw.offset + grp * g.outPerGroup * g.taps, g.taps),
    );
  }
}
