// The cuda backend's caching allocator as users see it through nb.cuda.memoryStats(): freed
// blocks are reused by size class, steady-state training steps call cudaMalloc no more and keep
// reserved memory flat, emptyCache gives the cache back, reused blocks still start zeroed, and an
// allocation larger than the device fails with an out-of-memory error that says how much was asked
// and how much is free, after which the process goes on. Skips with the reason without a GPU.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { skipCuda } from "./cuda-helpers.js";

const stats = () => nb.cuda.memoryStats();

test("disposed tensors go back to the cache and are reused by size class; emptyCache returns the cache to the device", { skip: skipCuda }, () => {
  nb.cuda.synchronize();
  const s0 = stats();
  const t = nb.zeros([1000, 1000], { device: "cuda" });
  const s1 = stats();
  assert.ok(s1.allocatedBytes - s0.allocatedBytes >= 4e6, `allocated grew by ${s1.allocatedBytes - s0.allocatedBytes}`);
  t.dispose();
  const s2 = stats();
  assert.equal(s2.allocatedBytes, s0.allocatedBytes);
  assert.ok(s2.cachedBytes >= 4e6);
  // 4,004,000 bytes round up to the same 4 MiB size class: the cached block is reused, no cudaMalloc.
  const u = nb.ones([1000, 1001], { device: "cuda" });
  assert.equal(stats().cudaMallocs, s2.cudaMallocs);
  u.dispose();
  nb.cuda.emptyCache();
  const s3 = stats();
  assert.equal(s3.cachedBytes, 0);
  assert.equal(s3.reservedBytes, s3.allocatedBytes);
  assert.ok(s3.cudaFrees > s2.cudaFrees);
  assert.ok(s3.peakAllocatedBytes >= 4e6);
  nb.cuda.resetPeakMemoryStats();
  assert.equal(stats().peakAllocatedBytes, stats().allocatedBytes);
});

test("a reused block still starts as zeros (nb.zeros relies on alloc zero-filling)", { skip: skipCuda }, () => {
  const ones = nb.ones([4096], { device: "cuda" });
  ones.dispose();
  const z = nb.zeros([4096], { device: "cuda" });
  assert.equal(z.abs().sum().item(), 0);
  z.dispose();
});

test("steady-state training steps reserve nothing new: no cudaMalloc, reserved and allocated bytes flat", { skip: skipCuda }, () => {
  nb.manualSeed(1);
  const model = nb.models.typicalCnn().to("cuda");
  model.train();
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = nb.rand([64, 1, 28, 28], { device: "cuda" });
  const y = nb.randint(0, 10, [64], { device: "cuda" });
  const step = (): number => nb.tidy(() => {
    opt.zeroGrad();
    const loss = nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y);
    loss.backward();
    opt.step();
    return loss.item();
  });
  for (let i = 0; i < 3; i++) step();
  const before = stats();
  const losses: number[] = [];
  for (let i = 0; i < 30; i++) losses.push(step());
  const after = stats();
  assert.equal(after.cudaMallocs, before.cudaMallocs, "cudaMalloc was called in steady state");
  assert.equal(after.reservedBytes, before.reservedBytes);
  assert.equal(after.allocatedBytes, before.allocatedBytes, "live tensors grew from step to step");
  assert.ok(losses.every(Number.isFinite) && losses[losses.length - 1] < losses[0], `loss should fall on a fixed batch: ${losses[0]} → ${losses[losses.length - 1]}`);
});

test("an allocation beyond the device's memory throws an out-of-memory error saying asked and free, and the process goes on", { skip: skipCuda }, () => {
  const total = nb.cuda.device().totalMemory;
  const elements = Math.ceil(total / 4) * 2; // twice the device's memory in float32
  assert.throws(() => nb.zeros([elements], { device: "cuda" }), (e: Error & { code?: string }) => {
    assert.equal(e.code, "NABLA_CUDA_OOM");
    assert.match(e.message, /^alloc: CUDA out of memory: tried to allocate [\d.]+ GiB \(\d+ bytes\) \(\d+ bytes requested\); the device has [\d.]+ [GMK]iB \(\d+ bytes\) free of [\d.]+ GiB \(\d+ bytes\), nabla holds .* in live tensors \(its cache was emptied and the allocation retried\)$/);
    return true;
  });
  // The failure left nothing behind: the device still computes.
  assert.equal(nb.ones([3], { device: "cuda" }).sum().item(), 3);
  assert.ok(stats().reservedBytes < total);
});
