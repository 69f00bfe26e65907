import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

const dir = mkdtempSync(join(tmpdir(), "nabla-cifar-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** One CIFAR-10 record: a label byte, then the red, green and blue 32x32 planes. */
function record(label: number, seed: number): Buffer {
  const r = Buffer.alloc(3073);
  r[0] = label;
  for (let i = 0; i < 3072; i++) r[1 + i] = (i * 7 + seed * 31) % 256;
  return r;
}

/** Writes the six batches; batch b holds records labelled b, b+1 (train) and 9, 8, 7 (test). */
function writeCifar(folder: string): void {
  mkdirSync(folder, { recursive: true });
  for (let b = 1; b <= 5; b++) writeFileSync(join(folder, `data_batch_${b}.bin`), Buffer.concat([record(b, 2 * b), record(b + 1, 2 * b + 1)]));
  writeFileSync(join(folder, "test_batch.bin"), Buffer.concat([record(9, 100), record(8, 101), record(7, 102)]));
}

test("cifar10 reads the binary batches as [N, 3, 32, 32] in [0, 1]", () => {
  const root = join(dir, "plain");
  writeCifar(root);
  const train = nb.datasets.cifar10({ root });
  assert.deepEqual(train.x.shape, [10, 3, 32, 32]);
  assert.equal(train.x.dtype, "float32");
  assert.equal(train.y.dtype, "int32");
  assert.deepEqual(Array.from(train.y.dataSync()), [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
  // Sample 3 is the second record of batch 2 (seed 5): channel c, row y, column x is byte
  // c*1024 + y*32 + x of its pixels.
  const [x3, y3] = train.get(3);
  assert.equal(y3.item(), 3);
  const v = x3.dataSync();
  const byte = (c: number, y: number, x: number) => ((c * 1024 + y * 32 + x) * 7 + 5 * 31) % 256;
  for (const [c, y, x] of [[0, 0, 0], [1, 4, 9], [2, 31, 31]]) {
    assert.equal(v[c * 1024 + y * 32 + x], Math.fround(byte(c, y, x) / 255), `pixel ${c},${y},${x}`);
  }
  const test3 = nb.datasets.cifar10({ root, split: "test" });
  assert.deepEqual(Array.from(test3.y.dataSync()), [9, 8, 7]);
  assert.equal(test3.classes[9], "truck");
  assert.deepEqual(nb.datasets.cifar10Classes, ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]);
});

test("cifar10 limit reads across batches; the archive's folder is found under root", () => {
  const root = join(dir, "unpacked");
  writeCifar(join(root, "cifar-10-batches-bin"));
  const ds = nb.datasets.cifar10({ root, limit: 3 });
  assert.deepEqual(ds.x.shape, [3, 3, 32, 32]);
  assert.deepEqual(Array.from(ds.y.dataSync()), [1, 2, 2]);
  assert.equal(ds.x.dataSync()[2 * 3072], Math.fround(((2 * 2) * 31 % 256) / 255));
});

test("cifar10 errors: missing folder or batch, truncated batch, bad label", () => {
  assertThrowsMatching(() => nb.datasets.cifar10({ root: join(dir, "none") }),
    /cifar10: the data folder .*none does not exist or is not a folder; expected data_batch_1\.bin, data_batch_2\.bin, data_batch_3\.bin, data_batch_4\.bin, data_batch_5\.bin in it/);
  const root = join(dir, "broken");
  writeCifar(root);
  rmSync(join(root, "data_batch_4.bin"));
  assertThrowsMatching(() => nb.datasets.cifar10({ root }), /cifar10: .*broken lacks data_batch_4\.bin; expected/);
  writeFileSync(join(root, "data_batch_4.bin"), Buffer.concat([record(0, 0), record(1, 1).subarray(0, 1000)]));
  assertThrowsMatching(() => nb.datasets.cifar10({ root }),
    /cifar10: .*data_batch_4\.bin is truncated or not a CIFAR-10 batch: its 4073 bytes are not a whole number of 3073-byte records \(1 label byte \+ 3072 pixel bytes\)/);
  writeFileSync(join(root, "test_batch.bin"), Buffer.concat([record(3, 0), record(10, 1)]));
  assertThrowsMatching(() => nb.datasets.cifar10({ root, split: "test" }), /cifar10: .*test_batch\.bin record 1 has label 10; expected a class index 0\.\.9/);
});
