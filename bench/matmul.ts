// float32 GEMM throughput of the cpu backend at 256, 512 and 1024, with numpy (OpenBLAS) measured
// in the same run for comparison when a Python with numpy is available.
// Run: node --import tsx bench/matmul.ts

import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import { type BenchResult, bestMs, runPython } from "./common.js";
import { gemmKernelKind } from "../src/backend/cpu/gemm.js";


export const MATMUL_SIZES = [256, 512, 1024];

/** nabla's float32 matmul on the cpu backend: GFLOP/s (2n³ flops), best of several reps. */
function nablaGflops(n: number): number {
  const a = nb.randn([n, n], { device: "cpu" }), b = nb.randn([n, n], { device: "cpu" });
  const reps = n >= 1024 ? 3 : n >= 512 ? 5 : 10;
  const ms = bestMs(() => nb.tidy(() => void nb.matmul(a, b)), 2, reps);
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (ms * 1e6);
}

/** numpy reads the sizes from argv; fewer reps for the big ones. */
const NUMPY_SCRIPT = `
import json, sys, time
import numpy as np
out = {}
for n in json.loads(sys.argv[1]):
    a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
    for _ in range(2): a @ b
    reps = 3 if n >= 2048 else 5
    best = min((lambda t: (a @ b, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(reps))
    out[n] = 2 * n ** 3 / best / 1e9
print(json.dumps(out))
`;

/** numpy's (OpenBLAS) float32 GFLOP/s per size, or null when no python with numpy is found. */
export function numpyGflops(threads: number | null, sizes: readonly number[] = MATMUL_SIZES): Record<string, number> | null {
  const env = { ...process.env };
  delete env.OPENBLAS_NUM_THREADS;
  if (threads !== null) env.OPENBLAS_NUM_THREADS = String(threads);
  return runPython(NUMPY_SCRIPT, [JSON.stringify(sizes)], env, 300_000) as Record<string, number> | null;
}

/**
 * float32 matmul GFLOP/s of nabla's cpu backend (best of 3–10 reps after 2 warm-ups) at each
 * size, then numpy/OpenBLAS's with its default threads and with OPENBLAS_NUM_THREADS=1 (best of 5).
 */
export async function benchMatmul(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const n of MATMUL_SIZES) {
    for (const backend of nb.backends()) {
      nb.setBackend(backend);
      const kind = backend === "cpu" ? `${gemmKernelKind()}, ` : "";
      results.push({ name: `matmul float32 ${n}x${n} nabla ${backend} (${kind}best)`, value: nablaGflops(n), unit: "GFLOP/s" });
    }
  }
  for (const threads of [null, 1]) {
    const np = numpyGflops(threads);
    if (!np) continue;
    const label = threads === null ? "OPENBLAS_NUM_THREADS unset" : "OPENBLAS_NUM_THREADS=1";
    for (const n of MATMUL_SIZES) {
      if (np[n] !== undefined) results.push({ name: `matmul float32 ${n}x${n} numpy (${label}, best)`, value: np[n], unit: "GFLOP/s" });
    }
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchMatmul()) console.log(`${r.name.padEnd(64)} ${r.value.toFixed(2).padStart(8)} ${r.unit}`);
}
