// The GEMM cases native-isa.test.ts runs in child processes under each NABLA_ISA: sizes that are
// not multiples of either micro-tile (6x16, 12x32) nor of the vector widths, crossing the depth
// slices (KC 192 and 256) and the row blocks (MC 144), with transposed and strided operands and a
// transposed (strided) output. Built from a fixed seed, so parent and child build the same views.

import type { View } from "../../src/backend/backend.js";
import { Rng, randomView } from "./native-helpers.js";

/** A [rows, cols] view stored transposed (column-major) when `transposed`. */
function maybeTransposed(rows: number, cols: number, rng: Rng, transposed: boolean): View {
  if (!transposed) return randomView([rows, cols], rng, { layout: "offset" });
  const v = randomView([cols, rows], rng, { layout: "gapped" });
  return { ...v, shape: [rows, cols], strides: [v.strides[1], v.strides[0]] };
}

export function isaGemmCases(): { name: string; a: View; b: View; out: View; k: number }[] {
  const rng = new Rng(2021);
  const sizes: [number, number, number, boolean, boolean, boolean][] = [
    // M, N, K, A transposed, B transposed, output transposed
    [13, 33, 70, false, false, false],
    [25, 47, 193, true, false, false],
    [161, 65, 300, false, true, false],
    [7, 31, 17, true, true, false],
    [30, 90, 260, false, false, true],
    [150, 140, 129, false, false, false],
  ];
  return sizes.map(([M, N, K, ta, tb, to]) => ({
    name: `${M}x${K}·${K}x${N}${ta ? " Aᵀ" : ""}${tb ? " Bᵀ" : ""}${to ? " into a transposed output" : ""}`,
    a: maybeTransposed(M, K, rng, ta),
    b: maybeTransposed(K, N, rng, tb),
    out: maybeTransposed(M, N, rng, to),
    k: K,
  }));
}
