// Softmax kernels of the cpu backend. Being written.
import type { View } from "../backend.js";
const todo = (): never => { throw new Error("softmax: not implemented on the cpu backend yet"); };
export function softmax(_x: View, _axis: number, _out: View, _log: boolean): void { todo(); }
export function softmaxBackward(_y: View, _gy: View, _axis: number, _gx: View, _log: boolean): void { todo(); }
