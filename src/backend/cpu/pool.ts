// Pooling kernels of the cpu backend. Being written.
import type { AvgPoolParams, View, WindowParams } from "../backend.js";
const todo = (): never => { throw new Error("pooling: not implemented on the cpu backend yet"); };
export function maxPool(_x: View, _out: View, _indices: View, _p: WindowParams): void { todo(); }
export function maxPoolBackward(_gy: View, _indices: View, _gx: View): void { todo(); }
export function avgPool(_x: View, _out: View, _p: AvgPoolParams): void { todo(); }
export function avgPoolBackward(_gy: View, _gx: View, _p: AvgPoolParams): void { todo(); }
export function adaptiveAvgPool(_x: View, _out: View): void { todo(); }
export function adaptiveAvgPoolBackward(_gy: View, _gx: View): void { todo(); }
export function adaptiveMaxPool(_x: View, _out: View, _indices: View): void { todo(); }
