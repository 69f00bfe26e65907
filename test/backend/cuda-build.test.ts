// The compile check of the cuda backend where nvcc exists (GPU or not): every own kernel
// (cuda/src/*.cu) compiles for the target architecture, and the cuBLAS / cuDNN files type-check
// against cuda/mock's stand-in declarations. Objects are cached in build/cuda/obj, so after
// `npm install` built the addon this takes seconds. Also the host check (cuda/check/host_check.cu):
// the kernels' offset and pooling-window arithmetic and the cuBLAS call plan (executed by a
// reference column-major GEMM) against brute force, and their Philox blocks,
// typed-array store conversions and elementwise op semantics against the cpu backend's (host libm
// in place of CUDA's: the branches, NaN/±0/±∞ handling and op numbering are what is checked).
// Skips where there is no nvcc.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

import type { View } from "../../src/backend/backend.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";
import { philoxBlock } from "../../src/core/philox.js";
import { BINARY_CODES, BINARY_PREDICATES, PARAM_CODES, UNARY_CODES } from "../../src/backend/addon-abi/codes.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** nvcc as scripts/build-cuda.mjs finds it, or null. */
function findNvcc(): string | null {
  if (process.env.NVCC && existsSync(process.env.NVCC)) return process.env.NVCC;
  const onPath = (process.env.PATH ?? "").split(delimiter).find((d) => d && existsSync(join(d, "nvcc")));
  if (onPath) return join(onPath, "nvcc");
  const homes = process.env.CUDA_HOME || process.env.CUDA_PATH ? [process.env.CUDA_HOME, process.env.CUDA_PATH] : ["/usr/local/cuda"];
  const home = homes.find((h) => h && existsSync(join(h, "bin", "nvcc")));
  return home ? join(home, "bin", "nvcc") : null;
}

const nvcc = findNvcc();
const skip = nvcc ? false : "nvcc not found (PATH, CUDA_HOME, /usr/local/cuda): nothing to compile-check";

test("every own CUDA kernel compiles with nvcc for the target architecture (kernels-only build)", { skip, timeout: 1_800_000 }, () => {
  const r = spawnSync(process.execPath, [join(root, "scripts/build-cuda.mjs"), "--kernels-only", "--strict"], { cwd: root, encoding: "utf8", timeout: 1_800_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const kernels = readdirSync(join(root, "cuda/src")).filter((f) => f.endsWith(".cu"));
  assert.match(r.stdout, new RegExp(`^nabla: cuda: kernels compiled for sm_\\d+\\w* \\(${kernels.length} files, \\d+ rebuilt\\)`));
  const objects = readdirSync(join(root, "build/cuda/obj"));
  for (const k of kernels) assert.ok(objects.some((o) => o.startsWith(`${k}.k.`)), `no object for ${k}`);
});

test("gemm_cublas.cc and conv_cudnn.cc type-check against the stand-in cuBLAS / cuDNN declarations", { skip, timeout: 600_000 }, () => {
  const r = spawnSync(process.execPath, [join(root, "scripts/build-cuda.mjs"), "--check-libs", "--strict"], { cwd: root, encoding: "utf8", timeout: 600_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /gemm_cublas\.cc and conv_cudnn\.cc type-check against the stand-in cuBLAS\/cuDNN declarations/);
});

interface HostCheck {
  walkerTrials: number;
  poolTrials: number;
  gemmTrials: number;
  failures: string[];
  philox: number[][];
  stores: [string, number, number][];
  values: (number | string)[];
  ops64: OpTable;
  ops32: OpTable;
}
interface OpTable {
  unary: (number | string)[][];
  param: (number | string)[][];
  binary: (number | string)[][];
}

let hostCheckResult: { out: HostCheck; status: number | null } | null = null;
/** Build (once) and run cuda/check/host_check.cu. */
function hostCheck(): { out: HostCheck; status: number | null } {
  if (hostCheckResult) return hostCheckResult;
  const exe = join(root, "build/cuda/host_check");
  mkdirSync(join(root, "build/cuda"), { recursive: true });
  const built = spawnSync(nvcc!, ["-std=c++17", "-O2", "-o", exe, join(root, "cuda/check/host_check.cu")], { encoding: "utf8", timeout: 600_000 });
  assert.equal(built.status, 0, `${built.stdout}\n${built.stderr}`);
  const r = spawnSync(exe, [], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  hostCheckResult = { out: JSON.parse(r.stdout) as HostCheck, status: r.status };
  return hostCheckResult;
}

const parse = (v: number | string): number => (typeof v === "number" ? v : v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v === "-0" ? -0 : Number(v));

test("host check: offsets, pooling windows and the cuBLAS GEMM plan match brute force; Philox blocks and store conversions match the cpu backend", { skip, timeout: 600_000 }, () => {
  const { out, status } = hostCheck();
  assert.deepEqual(out.failures, []);
  assert.equal(status, 0);
  assert.ok(out.walkerTrials >= 1000 && out.poolTrials >= 1000 && out.gemmTrials >= 1000);
  const words = new Uint32Array(4);
  for (const [c0, c1, k0, k1, ...w] of out.philox) {
    philoxBlock(c0, c1, 0, 0, k0, k1, words);
    assert.deepEqual(Array.from(words), w, `Philox block (${c0}, ${c1}) key (${k0}, ${k1})`);
  }
  for (const [text, int32, uint8] of out.stores) {
    const v = text === "inf" ? Infinity : text === "-inf" ? -Infinity : text === "nan" ? NaN : Number(text);
    assert.equal(int32, Int32Array.of(v)[0], `ToInt32(${text})`);
    assert.equal(uint8, Uint8Array.of(v)[0], `ToUint8(${text})`);
  }
});

/** |a − e| ≤ atol + rtol·|e|, NaN where NaN, infinities equal. */
function close(a: number, e: number, tol: { rtol: number; atol: number }): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (a === e) return true;
  if (!Number.isFinite(e)) return false;
  return Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
}

test("host check: every elementwise op's semantics (NaN, ±0, ±∞, pow's corner cases) match the cpu backend, in double and in float", { skip, timeout: 600_000 }, () => {
  const { out } = hostCheck();
  const values = out.values.map(parse);
  const n = values.length;
  const EXACT = new Set(["neg", "abs", "sqrt", "square", "relu", "sign", "reciprocal", "floor", "ceil", "round", "trunc", "logicalNot", "isnan", "isinf",
    "clamp", "leakyRelu", "hardtanh", "step", "affine", "add", "sub", "mul", "div", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr", "logicalXor"]);
  for (const [table, dtype, tol] of [[out.ops64, "float64", { rtol: 1e-13, atol: 1e-15 }], [out.ops32, "float32", { rtol: 4e-6, atol: 1e-6 }]] as const) {
    const arr = (xs: number[]) => (dtype === "float64" ? Float64Array.from(xs) : Float32Array.from(xs));
    const view = (buf: Float64Array | Float32Array | Uint8Array, d: View["dtype"]): View => ({ buf, dtype: d, shape: [buf.length], strides: [1], offset: 0 });
    const check = (name: string, got: (number | string)[], want: ArrayLike<number>, label: string) => {
      const t = EXACT.has(name) ? { rtol: 0, atol: 0 } : tol;
      got.forEach((g, i) => assert.ok(close(parse(g), want[i], t), `${dtype} ${label} element ${i}: ${parse(g)} vs ${want[i]}`));
    };
    for (const [op, ...got] of table.unary) {
      const name = UNARY_CODES[op as number];
      const o = arr(new Array(n).fill(0));
      cpuBackend.unary(name, view(arr(values), dtype), view(o, dtype), );
      check(name, got, o, `unary ${name}(${values.join(", ")})`);
    }
    for (const [op, p0, p1, ...got] of table.param) {
      const name = PARAM_CODES[op as number];
      const o = arr(new Array(n).fill(0));
      cpuBackend.paramUnary(name, view(arr(values), dtype), view(o, dtype), [parse(p0), parse(p1)]);
      check(name === "powScalar" && ![2, 0.5].includes(parse(p0)) ? "pow" : name, got, o, `paramUnary ${name}(${parse(p0)}, ${parse(p1)})`);
    }
    const a = arr(values.flatMap((x) => values.map(() => x))), b = arr(values.flatMap(() => values));
    for (const [op, ...got] of table.binary) {
      const name = BINARY_CODES[op as number];
      const predicate = BINARY_PREDICATES.has(name);
      const o = predicate ? new Uint8Array(n * n) : arr(new Array(n * n).fill(0));
      cpuBackend.binary(name, view(a, dtype), view(b, dtype), view(o, predicate ? "bool" : dtype));
      check(name, got, o, `binary ${name}`);
    }
  }
});
