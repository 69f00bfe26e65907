// Run-time CPU dispatch of the native kernels (native/src/cpu_features.cc): what info() reports, the
// in-process switch (setIsa) and NABLA_ISA. Each level the CPU has runs the GEMM cases of
// native-isa-cases.ts in a child process started with NABLA_ISA=<level>, against a float64 reference:
// the portable level everywhere, AVX2 on AVX2 CPUs, AVX-512 on AVX-512 CPUs (and under
// scripts/emulated-avx512.sh); a level the CPU lacks falls back to its best with a warning.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { View } from "../../src/backend/backend.js";
import { nativeInfo, setNativeIsa } from "../../src/backend/native/index.js";
import type { NativeIsa } from "../../src/backend/native/addon.js";
import { assertBuffersClose, skipNative } from "./native-helpers.js";
import { isaGemmCases } from "./native-isa-cases.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const LEVELS: NativeIsa[] = ["generic", "avx2", "avx512"];
const tol = (k: number) => ({ rtol: 1e-4, atol: 2e-5 * Math.sqrt(k) + 1e-6 });

/** Run native-isa-child.ts with NABLA_ISA=isa; its parsed output and stderr. */
function runChild(isa: string): { info: { isa: NativeIsa; isas: NativeIsa[]; gemmKernel: string; isaWarning: string }; outputs: number[][]; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "test/backend/native-isa-child.ts")], {
    cwd: root, encoding: "utf8", env: { ...process.env, NABLA_ISA: isa }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.status, 0, `child with NABLA_ISA=${isa} failed: ${r.stderr}`);
  return { ...JSON.parse(r.stdout.trim().split("\n").pop()!), stderr: r.stderr };
}

test("info() reports the level in use, the levels allowed, the CPU model and its SIMD flags", { skip: skipNative }, () => {
  const info = nativeInfo()!;
  assert.ok(info.isas.length >= 1 && info.isas[0] === "generic", `isas ${info.isas}`);
  assert.deepEqual(info.isas, LEVELS.slice(0, info.isas.length), "levels are listed lowest first, without gaps");
  assert.equal(info.isa, info.isas[info.isas.length - 1], "by default the best allowed level runs");
  assert.ok(LEVELS.indexOf(info.cpuIsa) >= LEVELS.indexOf(info.isa));
  assert.equal(info.avx2, info.cpuFlags.includes("avx2") && info.cpuFlags.includes("fma"));
  assert.equal(info.avx512, info.cpuFlags.includes("avx512f"));
  assert.equal(info.cpuIsa, info.avx512 && info.avx2 ? "avx512" : info.avx2 ? "avx2" : "generic");
  assert.equal(typeof info.cpuModel, "string");
  if (!process.env.NABLA_ISA) assert.equal(info.isaWarning, "");
});

test("setIsa switches every level allowed, names what it cannot run, and null goes back to the best", { skip: skipNative }, () => {
  const info = nativeInfo()!;
  const kernelOf = { avx512: "avx512f", avx2: "avx2-fma", generic: "generic" } as const;
  try {
    for (const isa of info.isas) {
      setNativeIsa(isa);
      assert.equal(nativeInfo()!.isa, isa);
      assert.equal(nativeInfo()!.gemmKernel, kernelOf[isa]);
    }
    for (const isa of LEVELS.filter((l) => !info.isas.includes(l))) {
      assert.throws(() => setNativeIsa(isa), new RegExp(`setIsa: ${isa} is not available here \\(this process may use up to ${info.isa}; the CPU has ${info.cpuIsa}\\)`));
    }
    assert.throws(() => setNativeIsa("sse4" as NativeIsa), /setIsa: expected "avx512", "avx2", "generic" or null/);
  } finally {
    setNativeIsa(null);
  }
  assert.equal(nativeInfo()!.isa, info.isa);
});

/**
 * out's buffer with the view's elements set to a·b summed in float64 (the rest of the buffer kept):
 * a reference that follows out's strides (the cpu backend's matmul writes a dense output).
 */
function reference(a: View, b: View, out: View): Float32Array {
  const [M, K] = a.shape, N = b.shape[1];
  const A = a.buf as Float32Array, B = b.buf as Float32Array, result = Float32Array.from(out.buf as Float32Array);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[a.offset + i * a.strides[0] + k * a.strides[1]] * B[b.offset + k * b.strides[0] + j * b.strides[1]];
      result[out.offset + i * out.strides[0] + j * out.strides[1]] = s;
    }
  }
  return result;
}

test("NABLA_ISA forces each level the CPU has: GEMM on odd shapes, transposed operands and output, against a float64 reference", { skip: skipNative }, () => {
  const cases = isaGemmCases();
  const expected = cases.map(({ a, b, out }) => reference(a, b, out));
  for (const isa of nativeInfo()!.isas) {
    const child = runChild(isa);
    assert.equal(child.info.isa, isa);
    assert.deepEqual(child.info.isas, LEVELS.slice(0, LEVELS.indexOf(isa) + 1), "NABLA_ISA caps the levels setIsa may choose");
    assert.equal(child.info.isaWarning, "");
    cases.forEach((c, i) => assertBuffersClose(Float32Array.from(child.outputs[i]), expected[i], tol(c.k), `NABLA_ISA=${isa} ${c.name}`));
  }
});

test("NABLA_ISA naming a level the CPU lacks, or no level, falls back to the best with a warning naming the variable", { skip: skipNative }, () => {
  const info = nativeInfo()!;
  const best = info.cpuIsa;
  const missing = LEVELS.find((l) => LEVELS.indexOf(l) > LEVELS.indexOf(best));
  const tries = [["sse4", `nabla: NABLA_ISA=sse4 is not one of avx512, avx2, generic; using ${best}`]];
  if (missing) tries.push([missing, `nabla: NABLA_ISA=${missing} but this CPU (or its OS) lacks ${missing}; using ${best}`]);
  for (const [value, warning] of tries) {
    const child = runChild(value);
    assert.equal(child.info.isa, best);
    assert.equal(child.info.isaWarning, warning);
    assert.ok(child.stderr.includes(warning), `stderr: ${child.stderr}`);
  }
});
