// The records the wasm kernels read their geometry from (wasm/src/conv.c, pool.c), built only for
// operands whose shapes fit together; null otherwise, and the caller hands the call to the cpu
// backend, whose kernels raise the errors for bad shapes.

import type { ConvParams, View, WindowParams } from "../backend.js";
import { numelOf } from "../../core/shape.js";

const positiveInts = (...v: number[]): boolean => v.every((n) => Number.isInteger(n) && n >= 1);

/**
 * conv.c's Geometry for x [N, C, (H,) W], w [Co, C/groups, (kh,) kw] and out [N, Co, (Ho,) Wo]
 * (1-d as height 1): batch, cin, h, w, cout, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, groups.
 */
export function convGeometry(x: readonly number[], w: readonly number[], out: readonly number[], p: ConvParams): number[] | null {
  const nd = p.kernel.length;
  if ((nd !== 1 && nd !== 2) || x.length !== nd + 2 || w.length !== nd + 2 || out.length !== nd + 2) return null;
  if (numelOf(x) === 0 || numelOf(w) === 0 || numelOf(out) === 0) return null;
  const [n, c] = x, [co, cg] = w, g = p.groups;
  if (!positiveInts(g) || c !== cg * g || co % g !== 0 || out[0] !== n || out[1] !== co) return null;
  const dims: number[][] = [];
  for (let i = 0; i < nd; i++) {
    const L = x[2 + i], k = w[2 + i], s = p.stride[i], pb = p.padBefore[i], pa = p.padAfter[i], d = p.dilation[i];
    if (k !== p.kernel[i] || !positiveInts(s, d) || !(pb >= 0 && pa >= 0)) return null;
    if (out[2 + i] !== Math.floor((L + pb + pa - d * (k - 1) - 1) / s) + 1) return null;
    dims.push([L, out[2 + i], k, s, pb, d]);
  }
  if (nd === 1) dims.unshift([1, 1, 1, 1, 0, 1]);
  const [[h, oh, kh, sh, ph, dh], [wd, ow, kw, sw, pw, dw]] = dims;
  return [n, c, h, wd, co, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, g];
}

/**
 * pool.c's PoolGeometry for input [N, C, ...spatial] and output [N, C, ...windows] (1 to 3 spatial
 * dims, padded to 3 with trivial ones): planes, then per dim L, O, kernel, stride, padBefore,
 * padAfter, dilation.
 */
export function poolGeometry(input: View, output: View, p: WindowParams): number[] | null {
  const nd = input.shape.length - 2;
  if (nd < 1 || nd > 3 || output.shape.length !== nd + 2 || p.kernel.length !== nd) return null;
  if (output.shape[0] !== input.shape[0] || output.shape[1] !== input.shape[1]) return null;
  if (numelOf(input.shape) === 0 || numelOf(output.shape) === 0) return null;
  const record = [input.shape[0] * input.shape[1]];
  for (let i = nd; i < 3; i++) record.push(1, 1, 1, 1, 0, 0, 1);
  for (let i = 0; i < nd; i++) {
    const k = p.kernel[i], s = p.stride[i], pb = p.padBefore[i], pa = p.padAfter[i], d = p.dilation[i];
    if (!positiveInts(k, s, d) || !Number.isInteger(pb) || !Number.isInteger(pa) || pb < 0 || pa < 0) return null;
    record.push(input.shape[2 + i], output.shape[2 + i], k, s, pb, pa, d);
  }
  return record;
}
