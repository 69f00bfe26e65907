// Index kernels of the cpu backend. Being written.
import type { View } from "../backend.js";
const todo = (): never => { throw new Error("indexing: not implemented on the cpu backend yet"); };
export function indexSelect(_x: View, _axis: number, _index: View, _out: View): void { todo(); }
export function indexAdd(_out: View, _axis: number, _index: View, _src: View): void { todo(); }
export function gather(_x: View, _axis: number, _index: View, _out: View): void { todo(); }
export function scatterAdd(_out: View, _axis: number, _index: View, _src: View): void { todo(); }
