// Batched GEMM of the cpu backend. (Being written: blocked, packed loops over Float32Arrays.)
import type { View } from "../backend.js";
export function matmul(_a: View, _b: View, _out: View): void {
  throw new Error("matmul: not implemented on the cpu backend yet");
}
