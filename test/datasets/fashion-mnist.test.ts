import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";
import { writeIdx } from "./idx-files.js";

const dir = mkdtempSync(join(tmpdir(), "nabla-fashion-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test("fashionMnist reads Zalando's gzip IDX files, also in torchvision's FashionMNIST/raw layout", () => {
  const raw = join(dir, "FashionMNIST", "raw");
  mkdirSync(raw, { recursive: true });
  const n = 4;
  const pixels = Array.from({ length: n * 784 }, (_, i) => 255 - (i % 256));
  writeIdx(join(raw, "t10k-images-idx3-ubyte.gz"), "ubyte", [n, 28, 28], pixels, { gzip: true });
  writeIdx(join(raw, "t10k-labels-idx1-ubyte.gz"), "ubyte", [n], [9, 0, 0, 3], { gzip: true });
  const ds = nb.datasets.fashionMnist({ root: dir, split: "test" });
  assert.deepEqual(ds.x.shape, [4, 1, 28, 28]);
  assert.equal(ds.x.dtype, "float32");
  assert.deepEqual(Array.from(ds.x.dataSync()), pixels.map((p) => Math.fround(p / 255)));
  assert.deepEqual(Array.from(ds.y.dataSync()), [9, 0, 0, 3]);
  assert.equal(ds.classes[ds.y.dataSync()[0]], "Ankle boot");
  assert.equal(ds.classes[0], "T-shirt/top");
  const first2 = nb.datasets.fashionMnist({ root: raw, split: "test", limit: 2 });
  assert.deepEqual(Array.from(first2.y.dataSync()), [9, 0]);
});

test("fashionMnist needs a root and says nothing is downloaded", () => {
  assertThrowsMatching(() => nb.datasets.fashionMnist(undefined as unknown as { root: string }),
    /fashionMnist: pass \{root\}, the folder holding train-images-idx3-ubyte\(\.gz\), train-labels-idx1-ubyte\(\.gz\); nabla downloads nothing at run time/);
  assertThrowsMatching(() => nb.datasets.fashionMnist({ root: dir }),
    new RegExp(`fashionMnist: ${dir} lacks train-images-idx3-ubyte\\(\\.gz\\), train-labels-idx1-ubyte\\(\\.gz\\)`));
});
