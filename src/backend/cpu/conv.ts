// Convolution kernels of the cpu backend (forward, backward-data, backward-filter). Being written.
import type { ConvParams, View } from "../backend.js";
const todo = (): never => { throw new Error("conv: not implemented on the cpu backend yet"); };
export function conv(_x: View, _w: View, _out: View, _p: ConvParams): void { todo(); }
export function convBackwardData(_gy: View, _w: View, _gx: View, _p: ConvParams): void { todo(); }
export function convBackwardFilter(_x: View, _gy: View, _gw: View, _p: ConvParams): void { todo(); }
