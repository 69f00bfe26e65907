// The host buffer pool behind the cpu and native backends: freed arrays come back for the next
// allocation of the same dtype and length (zeroed unless the caller asked for uninitialized
// memory), arrays a user handed in are never recycled, and the cache respects its capacity.

import { test } from "node:test";
import assert from "node:assert/strict";
import { HostBufferPool, hostPool } from "../../src/backend/host-pool.js";
import * as nb from "../../src/index.js";

test("a freed array is reused for the next allocation of its dtype and length, zeroed by default", () => {
  const pool = new HostBufferPool(1 << 20, false);
  const a = pool.alloc("float32", 1000) as Float32Array;
  a.fill(7);
  pool.free(a);
  assert.equal(pool.stats().cachedBytes, 4000);
  assert.notEqual(pool.alloc("float64", 1000), a, "another dtype gets a new array");
  assert.notEqual(pool.alloc("float32", 999), a, "another length gets a new array");
  const b = pool.alloc("float32", 1000);
  assert.equal(b, a);
  assert.ok(b.every((v) => v === 0), "zero-filled on reuse");
  assert.deepEqual(pool.stats(), { cachedBytes: 0, hits: 1, misses: 3 });
});

test("an uninitialized allocation skips the zeroing; poison mode fills it with garbage", () => {
  const pool = new HostBufferPool(1 << 20, false);
  const a = pool.alloc("int32", 512) as Int32Array;
  a.fill(3);
  pool.free(a);
  assert.equal(pool.alloc("int32", 512, true)[0], 3);
  const poisoned = new HostBufferPool(1 << 20, true);
  assert.ok(Number.isNaN(poisoned.alloc("float32", 300, true)[0]));
  assert.equal(poisoned.alloc("int32", 300, true)[0], 0x5a5a5a5a);
  assert.equal(poisoned.alloc("bool", 2000, true)[5], 0xa5);
  assert.equal(poisoned.alloc("float32", 300)[0], 0, "zeroed allocations are never poisoned");
});

test("arrays the pool did not make, small arrays and arrays past the capacity are not kept", () => {
  const pool = new HostBufferPool(10_000, false);
  pool.free(new Float32Array(1000));
  assert.equal(pool.stats().cachedBytes, 0, "a foreign array is never recycled");
  pool.free(pool.alloc("float32", 10));
  assert.equal(pool.stats().cachedBytes, 0, "arrays under 1 KiB are left to the garbage collector");
  pool.free(pool.alloc("float64", 1000));
  pool.free(pool.alloc("float64", 500));
  assert.equal(pool.stats().cachedBytes, 8000, "the second array would pass 10,000 bytes");
  pool.emptyCache();
  assert.equal(pool.stats().cachedBytes, 0);
});

test("a tensor made from the caller's typed array keeps that array's contents after dispose", () => {
  const mine = new Float32Array(4096).fill(2);
  const t = nb.tensor(mine, { device: "cpu" });
  const shared = t.raw().buf === mine;
  t.dispose();
  // Ops on the same backend allocate arrays of the same length: none of them may be `mine`.
  const others = [nb.zeros([4096], { device: "cpu" }), nb.ones([4096], { device: "cpu" }).add(1)];
  for (const o of others) assert.notEqual(o.raw().buf, mine);
  assert.ok(mine.every((v) => v === 2), shared ? "adopted array untouched" : "copied array untouched");
});

test("tidy'd training steps recycle their buffers instead of allocating new ones", () => {
  const model = nb.models.typicalCnn();
  model.to("cpu");
  const opt = new nb.optim.SGD(model.parameters(), { lr: 0.01 });
  const x = nb.rand([4, 1, 28, 28], { device: "cpu" });
  const y = nb.tensor([1, 2, 3, 4], { dtype: "int32", device: "cpu" });
  const step = () => nb.tidy(() => {
    opt.zeroGrad();
    nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y).backward();
    opt.step();
  });
  step();
  step();
  const before = hostPool.stats();
  for (let i = 0; i < 3; i++) step();
  const after = hostPool.stats();
  assert.ok(after.hits - before.hits >= 30, `hits ${after.hits - before.hits}`);
  assert.equal(after.misses, before.misses, "no new pooled-size arrays once warm");
});
