// Convolution as matrix products, without materialising the column matrix.
//
// With taps p = (ci, kz, ky, kx) of one group and output positions n = (image, oz, oy, ox),
// im2col is the matrix col[p, n] = x[image, ci, oz·s − pad + kz·d, …] (0 in the padding), and
//   forward          out[co, n] = Σ_p w[co, p] · col[p, n]
//   backward-data    col'[p, n] = Σ_co w[co, p] · gy[co, n], then scatter-added into gx (col2im)
//   backward-filter  gw[co, p]  = Σ_n gy[co, n] · col[p, n]
// Instead of building col, the packers below write its panels straight into the GEMM scratch
// (gemm.ts), and the stores write (or scatter-add) C straight into the output tensor.
//
// Every geometry is handled as 3-D: a 2-D convolution is a 3-D one with depth 1 and kernel depth 1.

import type { ConvParams } from "../backend.js";
import { KC, MC, NC, MR as GEMM_MR, NR as GEMM_NR, type PackA, type PackB, type StoreC, type FloatArray } from "./gemm.js";

/** A convolution's sizes, normalised to three spatial dims (missing leading dims are 1). */
export interface ConvGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  /** Input channels per group (the weight's dim 1) and output channels per group. */
  inPerGroup: number;
  outPerGroup: number;
  /** Input, output and kernel extents as [depth, height, width]. */
  inSize: [number, number, number];
  outSize: [number, number, number];
  kernel: [number, number, number];
  stride: [number, number, number];
  pad: [number, number, number];
  dilation: [number, number, number];
  /** Taps per output channel: inPerGroup · kd · kh · kw (the GEMM's inner dimension). */
  taps: number;
  /** Positions per image in the output and the input. */
  outPlane: number;
  inPlane: number;
}

export function convGeometry(xShape: readonly number[], wShape: readonly number[], outShape: readonly number[], p: ConvParams): ConvGeometry {
  const nd = xShape.length - 2;
  const lift = (v: readonly number[], fill: number): [number, number, number] => {
    const out = [fill, fill, fill] as [number, number, number];
    for (let i = 0; i < nd; i++) out[3 - nd + i] = v[i];
    return out;
  };
  const inSize = lift(xShape.slice(2), 1), outSize = lift(outShape.slice(2), 1), kernel = lift(wShape.slice(2), 1);
  const inPerGroup = wShape[1];
  return {
    batch: xShape[0],
    inChannels: xShape[1],
    outChannels: wShape[0],
    groups: p.groups,
    inPerGroup,
    outPerGroup: wShape[0] / p.groups,
    inSize, outSize, kernel,
    stride: lift(p.stride, 1),
    pad: lift(p.padBefore, 0),
    dilation: lift(p.dilation, 1),
    taps: inPerGroup * kernel[0] * kernel[1] * kernel[2],
    outPlane: outSize[0] * outSize[1] * outSize[2],
    inPlane: inSize[0] * inSize[1] * inSize[2],
  };
}

// The unrolled panel loops below are written for 4-wide panels (local constants, not imported
// bindings, which some loaders turn into getter calls).
const MR = 4, NR = 4;
if (GEMM_MR !== MR || GEMM_NR !== NR) throw new Error("im2col: the packers are written for a 4×4 micro-tile");

/** The longest run of rows or columns a packer or store sees: the largest GEMM block size. */
const TABLE = Math.max(MC, KC, NC);

/**
 * Where output positions n = j0 … j0+len−1 (image-major) read and write: the input offset of
 * their window's first tap (relative to channel 0 of the image), the window origin per dim, and
 * the offset of the position in an [N, C, out…] tensor (relative to channel 0).
 */
class PositionTable {
  readonly inBase = new Int32Array(TABLE);
  readonly z = new Int32Array(TABLE);
  readonly y = new Int32Array(TABLE);
  readonly x = new Int32Array(TABLE);
  /** 1 when every tap of the window lies inside the input (no bounds checks needed). */
  readonly inside = new Uint8Array(TABLE);
  readonly outBase = new Int32Array(TABLE);

  fill(g: ConvGeometry, j0: number, len: number): void {
    const [D, H, W] = g.inSize, [oD, oH, oW] = g.outSize, [sz, sy, sx] = g.stride, [pz, py, px] = g.pad;
    const [kd, kh, kw] = g.kernel, [dz, dy, dx] = g.dilation;
    const spanZ = (kd - 1) * dz, spanY = (kh - 1) * dy, spanX = (kw - 1) * dx;
    const imageIn = g.inChannels * g.inPlane, imageOut = g.outChannels * g.outPlane;
    let img = Math.floor(j0 / g.outPlane);
    let rest = j0 - img * g.outPlane;
    let oz = Math.floor(rest / (oH * oW));
    rest -= oz * oH * oW;
    let oy = Math.floor(rest / oW);
    let ox = rest - oy * oW;
    for (let j = 0; j < len; j++) {
      const z = oz * sz - pz, y = oy * sy - py, x = ox * sx - px;
      this.z[j] = z; this.y[j] = y; this.x[j] = x;
      this.inBase[j] = img * imageIn + (z * H + y) * W + x;
      this.outBase[j] = img * imageOut + (oz * oH + oy) * oW + ox;
      this.inside[j] = z >= 0 && z + spanZ < D && y >= 0 && y + spanY < H && x >= 0 && x + spanX < W ? 1 : 0;
      if (++ox === oW) {
        ox = 0;
        if (++oy === oH) {
          oy = 0;
          if (++oz === oD) { oz = 0; img++; }
        }
      }
    }
  }
}

/** Taps p = p0 … p0+len−1 (channel-major): input offset relative to the window origin, and per-dim shifts. */
class TapTable {
  readonly offset = new Int32Array(TABLE);
  readonly z = new Int32Array(TABLE);
  readonly y = new Int32Array(TABLE);
  readonly x = new Int32Array(TABLE);

  fill(g: ConvGeometry, p0: number, len: number): void {
    const [, H, W] = g.inSize, [kd, kh, kw] = g.kernel, [dz, dy, dx] = g.dilation;
    const perChannel = kd * kh * kw;
    let ci = Math.floor(p0 / perChannel);
    let rest = p0 - ci * perChannel;
    let kz = Math.floor(rest / (kh * kw));
    rest -= kz * kh * kw;
    let ky = Math.floor(rest / kw);
    let kx = rest - ky * kw;
    for (let i = 0; i < len; i++) {
      const z = kz * dz, y = ky * dy, x = kx * dx;
      this.z[i] = z; this.y[i] = y; this.x[i] = x;
      this.offset[i] = ci * g.inPlane + (z * H + y) * W + x;
      if (++kx === kw) {
        kx = 0;
        if (++ky === kh) {
          ky = 0;
          if (++kz === kd) { kz = 0; ci++; }
        }
      }
    }
  }
}

// One table per role, reused by every call (the backend is single-threaded).
const packPositions = new PositionTable();
const storePositions = new PositionTable();
const packTaps = new TapTable();
const storeTaps = new TapTable();

/** The im2col value for tap i of `taps` and position j of `pos`, 0 in the padding. */
function gather(X: FloatArray, g: ConvGeometry, xOff: number, pos: PositionTable, j: number, taps: TapTable, i: number): number {
  const z = pos.z[j] + taps.z[i], y = pos.y[j] + taps.y[i], x = pos.x[j] + taps.x[i];
  if (z < 0 || z >= g.inSize[0] || y < 0 || y >= g.inSize[1] || x < 0 || x >= g.inSize[2]) return 0;
  return X[xOff + pos.inBase[j] + taps.offset[i]];
}

/**
 * Forward / backward-filter B operand for rows = taps, columns = positions: panels of NR
 * positions, each holding NR im2col values per tap. xOff points at the group's first channel.
 */
export function packColumnsOfImage(X: FloatArray, xOff: number, g: ConvGeometry): PackB {
  return (H, dst, p0, kc, j0, nc) => {
    packPositions.fill(g, j0, nc);
    packTaps.fill(g, p0, kc);
    const pos = packPositions, taps = packTaps.offset;
    for (let jr = 0; jr < nc; jr += NR) {
      const cols = Math.min(NR, nc - jr);
      if (cols === 4 && pos.inside[jr] & pos.inside[jr + 1] & pos.inside[jr + 2] & pos.inside[jr + 3]) {
        const b0 = xOff + pos.inBase[jr], b1 = xOff + pos.inBase[jr + 1], b2 = xOff + pos.inBase[jr + 2], b3 = xOff + pos.inBase[jr + 3];
        for (let i = 0; i < kc; i++, dst += 4) {
          const t = taps[i];
          H[dst] = X[b0 + t]; H[dst + 1] = X[b1 + t]; H[dst + 2] = X[b2 + t]; H[dst + 3] = X[b3 + t];
        }
      } else {
        for (let i = 0; i < kc; i++, dst += NR) {
          for (let c = 0; c < NR; c++) H[dst + c] = c < cols ? gather(X, g, xOff, pos, jr + c, packTaps, i) : 0;
        }
      }
    }
  };
}

/** Backward-filter B operand: rows = positions (the reduction), columns = taps, panels of NR taps. */
export function packRowsOfImage(X: FloatArray, xOff: number, g: ConvGeometry): PackB {
  return (H, dst, p0, kc, j0, nc) => {
    packPositions.fill(g, p0, kc);
    packTaps.fill(g, j0, nc);
    const pos = packPositions, taps = packTaps.offset;
    for (let jr = 0; jr < nc; jr += NR) {
      const cols = Math.min(NR, nc - jr);
      if (cols === 4) {
        const t0 = taps[jr], t1 = taps[jr + 1], t2 = taps[jr + 2], t3 = taps[jr + 3];
        for (let i = 0; i < kc; i++, dst += 4) {
          if (pos.inside[i]) {
            const b = xOff + pos.inBase[i];
            H[dst] = X[b + t0]; H[dst + 1] = X[b + t1]; H[dst + 2] = X[b + t2]; H[dst + 3] = X[b + t3];
          } else {
            for (let c = 0; c < 4; c++) H[dst + c] = gather(X, g, xOff, pos, i, packTaps, jr + c);
          }
        }
      } else {
        for (let i = 0; i < kc; i++, dst += NR) {
          for (let c = 0; c < NR; c++) H[dst + c] = c < cols ? gather(X, g, xOff, pos, i, packTaps, jr + c) : 0;
        }
      }
    }
  };
}

/**
 * Backward-data B operand from gy [N, Cout, out…]: rows = output channels of the group,
 * columns = positions. yOff points at the group's first channel.
 */
export function packColumnsOfOutput(Y: FloatArray, yOff: number, g: ConvGeometry): PackB {
  return (H, dst, p0, kc, j0, nc) => {
    packPositions.fill(g, j0, nc);
    const ob = packPositions.outBase, plane = g.outPlane;
    for (let jr = 0; jr < nc; jr += NR) {
      const cols = Math.min(NR, nc - jr);
      let row = yOff + p0 * plane;
      if (cols === 4) {
        const o0 = ob[jr], o1 = ob[jr + 1], o2 = ob[jr + 2], o3 = ob[jr + 3];
        for (let i = 0; i < kc; i++, dst += 4, row += plane) {
          H[dst] = Y[row + o0]; H[dst + 1] = Y[row + o1]; H[dst + 2] = Y[row + o2]; H[dst + 3] = Y[row + o3];
        }
      } else {
        for (let i = 0; i < kc; i++, dst += NR, row += plane) {
          for (let c = 0; c < NR; c++) H[dst + c] = c < cols ? Y[row + ob[jr + c]] : 0;
        }
      }
    }
  };
}

/** Backward-filter A operand from gy: rows = output channels of the group, reduction over positions. */
export function packRowsOfOutput(Y: FloatArray, yOff: number, g: ConvGeometry): PackA {
  return (H, dst, i0, mc, p0, kc) => {
    storePositions.fill(g, p0, kc);
    const ob = storePositions.outBase, plane = g.outPlane;
    for (let ir = 0; ir < mc; ir += MR) {
      const rows = Math.min(MR, mc - ir);
      const r0 = yOff + (i0 + ir) * plane;
      if (rows === 4) {
        const r1 = r0 + plane, r2 = r1 + plane, r3 = r2 + plane;
        for (let i = 0; i < kc; i++, dst += 4) {
          const o = ob[i];
          H[dst] = Y[r0 + o]; H[dst + 1] = Y[r1 + o]; H[dst + 2] = Y[r2 + o]; H[dst + 3] = Y[r3 + o];
        }
      } else {
        for (let i = 0; i < kc; i++, dst += MR) {
          for (let r = 0; r < MR; r++) H[dst + r] = r < rows ? Y[r0 + r * plane + ob[i]] : 0;
        }
      }
    }
  };
}

/** Forward store: C[co, n] into out [N, Cout, out…] (overwrite on the first slice, then add). */
export function storeToOutput(O: FloatArray, oOff: number, g: ConvGeometry): StoreC {
  return (H, src, ld, i0, mc, j0, nc, first) => {
    storePositions.fill(g, j0, nc);
    const ob = storePositions.outBase, plane = g.outPlane;
    for (let i = 0; i < mc; i++) {
      const row = oOff + (i0 + i) * plane;
      const h = src + i * ld;
      if (first) for (let j = 0; j < nc; j++) O[row + ob[j]] = H[h + j];
      else for (let j = 0; j < nc; j++) O[row + ob[j]] += H[h + j];
    }
  };
}

/** Backward-data store (col2im): add C[p, n] into gx at the input element tap p of position n reads. */
export function scatterToImage(GX: FloatArray, xOff: number, g: ConvGeometry): StoreC {
  return (H, src, ld, i0, mc, j0, nc) => {
    storePositions.fill(g, j0, nc);
    storeTaps.fill(g, i0, mc);
    const pos = storePositions;
    const [D, Hh, W] = g.inSize;
    for (let i = 0; i < mc; i++) {
      const t = xOff + storeTaps.offset[i], tz = storeTaps.z[i], ty = storeTaps.y[i], tx = storeTaps.x[i];
      const h = src + i * ld;
      for (let j = 0; j < nc; j++) {
        if (pos.inside[j]) {
          GX[t + pos.inBase[j]] += H[h + j];
        } else {
          const z = pos.z[j] + tz, y = pos.y[j] + ty, x = pos.x[j] + tx;
          if (z >= 0 && z < D && y >= 0 && y < Hh && x >= 0 && x < W) GX[t + pos.inBase[j]] += H[h + j];
        }
      }
    }
  };
}

/** Backward-filter store: C[co, p] into gw [Cout, Cin/groups, k…] rows of the group. */
export function storeToFilter(GW: FloatArray, wOff: number, taps: number): StoreC {
  return (H, src, ld, i0, mc, j0, nc, first) => {
    for (let i = 0; i < mc; i++) {
      const row = wOff + (i0 + i) * taps + j0;
      const h = src + i * ld;
      if (first) for (let j = 0; j < nc; j++) GW[row + j] = H[h + j];
      else for (let j = 0; j < nc; j++) GW[row + j] += H[h + j];
    }
  };
}
