// The compile check of the cuda backend where nvcc exists (GPU or not): every own kernel
// (cuda/src/*.cu) compiles for the target architecture, and the cuBLAS / cuDNN files type-check
// against cuda/mock's stand-in declarations. Objects are cached in build/cuda/obj, so after
// `npm install` built the addon this takes seconds. Also the host check (cuda/check/host_check.cu):
// the kernels' offset and pooling-window arithmetic against brute force, and their Philox blocks
// and typed-array store conversions against the cpu backend's. Skips where there is no nvcc.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

import { philoxBlock } from "../../src/backend/cpu/philox.js";

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

test("host check: offsets and pooling windows match brute force; Philox blocks and store conversions match the cpu backend", { skip, timeout: 600_000 }, () => {
  const exe = join(root, "build/cuda/host_check");
  mkdirSync(join(root, "build/cuda"), { recursive: true });
  const built = spawnSync(nvcc!, ["-std=c++17", "-O2", "-o", exe, join(root, "cuda/check/host_check.cu")], { encoding: "utf8", timeout: 600_000 });
  assert.equal(built.status, 0, `${built.stdout}\n${built.stderr}`);
  const r = spawnSync(exe, [], { encoding: "utf8" });
  const out = JSON.parse(r.stdout) as { walkerTrials: number; poolTrials: number; failures: string[]; philox: number[][]; stores: [string, number, number][] };
  assert.deepEqual(out.failures, []);
  assert.equal(r.status, 0);
  assert.ok(out.walkerTrials >= 1000 && out.poolTrials >= 1000);
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
