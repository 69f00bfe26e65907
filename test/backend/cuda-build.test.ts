// The compile check of the cuda backend where nvcc exists (GPU or not): every own kernel
// (cuda/src/*.cu) compiles for the target architecture, and the cuBLAS / cuDNN files type-check
// against cuda/mock's stand-in declarations. Objects are cached in build/cuda/obj, so after
// `npm install` built the addon this takes seconds. Skips where there is no nvcc.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

function nvccFound(): boolean {
  if (process.env.NVCC && existsSync(process.env.NVCC)) return true;
  if ((process.env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, "nvcc")))) return true;
  const homes = process.env.CUDA_HOME || process.env.CUDA_PATH ? [process.env.CUDA_HOME, process.env.CUDA_PATH] : ["/usr/local/cuda"];
  return homes.some((h) => h && existsSync(join(h, "bin", "nvcc")));
}

const skip = nvccFound() ? false : "nvcc not found (PATH, CUDA_HOME, /usr/local/cuda): nothing to compile-check";

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
