// Normalisation kernels of the cpu backend. Being written.
import type { View } from "../backend.js";
const todo = (): never => { throw new Error("normalization: not implemented on the cpu backend yet"); };
export function moments(_x: View, _rows: number, _cols: number, _eps: number, _mean: View, _rstd: View): void { todo(); }
export function channelMoments(_x: View, _mean: View, _variance: View): void { todo(); }
export function batchNormApply(_x: View, _mean: View, _rstd: View, _w: View | null, _b: View | null, _out: View): void { todo(); }
export function batchNormBackward(_gy: View, _x: View, _mean: View, _rstd: View, _w: View | null, _gx: View, _gw: View | null, _gb: View | null): void { todo(); }
