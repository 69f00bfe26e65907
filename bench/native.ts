// The native backend: float32 GEMM GFLOP/s at 256-2048 next to numpy/OpenBLAS (default threads,
// measured in alternating rounds with ours; and OPENBLAS_NUM_THREADS=1) with the ratios, after a row
// naming the instruction-set level the kernels ran at, the CPU model and its SIMD flags (benchNative;
// `npm run bench -- sgemm`; NABLA_ISA=avx2|generic measures a lower level). Training throughput of the typical CNN
// (batch 64, Adam) and LeNet-5 (batch 256, Adam) next to PyTorch comes from bench/train.ts, which
// measures every usable backend; run standalone, this file prints both.
// Run: node --import tsx bench/native.ts

import { cpus } from "node:os";
import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import { nativeInfo } from "../src/backend/native/index.js";
import { type BenchResult, bestMs } from "./common.js";
import { numpyGflops } from "./matmul.js";
import { benchTrain } from "./train.js";

export const NATIVE_GEMM_SIZES = [256, 512, 1024, 2048];

/** Native float32 matmul GFLOP/s (2n³ flops), best of several reps after 2 warm-ups. */
function nativeGflops(n: number): number {
  const a = nb.randn([n, n], { device: "native" }), b = nb.randn([n, n], { device: "native" });
  const reps = n >= 2048 ? 3 : n >= 1024 ? 5 : n >= 512 ? 10 : 20;
  const ms = bestMs(() => nb.tidy(() => void nb.matmul(a, b)), 2, reps);
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (ms * 1e6);
}

/** Rounds of (nabla, numpy with its default threads), alternating, so that a burst of load from other tenants cannot fall on one side only. */
const GEMM_ROUNDS = 3;

/** One line on what ran: the native kernels' level and GEMM kernel, the CPU model and its SIMD flags. */
export function nativeIsaLine(): string {
  const info = nativeInfo();
  if (!info) return "native backend unavailable";
  const model = info.cpuModel || cpus()[0]?.model || "unknown CPU";
  return `native ISA ${info.isa} (${info.gemmKernel} GEMM, ${info.threads} threads) on ${model}, flags ${info.cpuFlags.join(" ") || "none"}`;
}

/**
 * GEMM rows (after a note row from nativeIsaLine): native GFLOP/s and numpy's with its default threads, each the best over
 * GEMM_ROUNDS alternating rounds; numpy with one thread (one round); and native / numpy.
 */
export function benchNativeGemm(): BenchResult[] {
  const info = nativeInfo();
  if (!info) return [];
  const results: BenchResult[] = [{ name: nativeIsaLine(), value: 0, unit: "" }];
  const ours = new Map<number, number>();
  let npDefault: Record<string, number> | null = null;
  for (let round = 0; round < GEMM_ROUNDS; round++) {
    for (const n of NATIVE_GEMM_SIZES) ours.set(n, Math.max(ours.get(n) ?? 0, nativeGflops(n)));
    const np = numpyGflops(null, NATIVE_GEMM_SIZES);
    if (!np) continue;
    npDefault ??= {};
    for (const n of NATIVE_GEMM_SIZES) if (np[n] !== undefined) npDefault[n] = Math.max(npDefault[n] ?? 0, np[n]);
  }
  for (const n of NATIVE_GEMM_SIZES) {
    results.push({ name: `matmul float32 ${n}x${n} nabla native (${info.gemmKernel}, ${info.threads} threads, best of ${GEMM_ROUNDS} rounds)`, value: ours.get(n)!, unit: "GFLOP/s" });
  }
  const numpyRuns: [number | null, Record<string, number> | null][] = [[null, npDefault], [1, numpyGflops(1, NATIVE_GEMM_SIZES)]];
  for (const [threads, np] of numpyRuns) {
    if (!np) continue;
    const label = threads === null ? "OPENBLAS_NUM_THREADS unset" : "OPENBLAS_NUM_THREADS=1";
    for (const n of NATIVE_GEMM_SIZES) {
      if (np[n] === undefined) continue;
      results.push({ name: `matmul float32 ${n}x${n} numpy (${label}, best)`, value: np[n], unit: "GFLOP/s" });
      results.push({ name: `matmul float32 ${n}x${n} nabla native / numpy (${label})`, value: ours.get(n)! / np[n], unit: "x" });
    }
  }
  return results;
}

/** The native backend's rows for `npm run bench` (one note row when the addon is not built). */
export async function benchNative(): Promise<BenchResult[]> {
  if (!nativeInfo()) return [{ name: `native backend unavailable: ${nb.backendUnavailableReason("native")}`, value: 0, unit: "" }];
  return benchNativeGemm();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const info = nativeInfo();
  console.log(`${nativeIsaLine()}; node ${process.version}`);
  const print = (rows: BenchResult[]) => rows.forEach((r) => console.log(`${r.name.padEnd(78)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`));
  print(await benchNative());
  if (info) print(await benchTrain());
}
