// Dataset options: torchvision's `train: boolean` does what it says; unknown names are errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

test("mnist({ train: false }) is the 10,000 test images, as in torchvision", () => {
  const ds = nb.datasets.mnist({ train: false });
  assert.equal(ds.length, 10000);
  // The first test digits of MNIST are 7 2 1 0 4.
  assert.deepEqual(Array.from(ds.y.dataSync().slice(0, 5)), [7, 2, 1, 0, 4]);
  const train = nb.datasets.mnist({ train: true, limit: 5 });
  assert.deepEqual(Array.from(train.y.dataSync()), [5, 0, 4, 1, 9]);
  // Both given: they must agree.
  assert.equal(nb.datasets.mnist({ train: false, split: "test", limit: 3 }).length, 3);
  assertThrowsMatching(() => nb.datasets.mnist({ train: false, split: "train" }), /^mnist: train: false and split: "train" disagree; pass one of them$/);
  // @ts-expect-error train is a boolean
  assertThrowsMatching(() => nb.datasets.mnist({ train: "test" }), /^mnist: train must be true or false \(torchvision's spelling of split: "train" \/ "test"\), got "test"$/);
});

test("datasets: unknown options are errors naming the options, with torchvision's other arguments pointed elsewhere", () => {
  // @ts-expect-error misspelt
  assertThrowsMatching(() => nb.datasets.mnist({ spilt: "test" }), /^mnist: unknown option "spilt" \(did you mean "split"\?\); the options are split, train, root, limit$/);
  // @ts-expect-error torchvision's transform belongs to the DataLoader
  assertThrowsMatching(() => nb.datasets.mnist({ transform: (t: nb.Tensor) => t }), /^mnist: unknown option "transform" \(use DataLoader's transform option: new nb\.data\.DataLoader\(ds, \{ transform \}\)\)/);
  // @ts-expect-error nothing is downloaded
  assertThrowsMatching(() => nb.datasets.mnist({ download: true }), /mnist: unknown option "download" \(use root to read your own copy; .*nothing is downloaded\)/);
  // Checked before the folder is looked at.
  // @ts-expect-error misspelt
  assertThrowsMatching(() => nb.datasets.fashionMnist({ root: "/nonexistent", limt: 5 }), /^fashionMnist: unknown option "limt" \(did you mean "limit"\?\); the options are root, split, train, limit$/);
  assertThrowsMatching(() => nb.datasets.cifar10({ root: "/nonexistent", train: true, split: "test" }), /^cifar10: train: true and split: "test" disagree/);
  // @ts-expect-error download
  assertThrowsMatching(() => nb.datasets.cifar10({ root: "/nonexistent", download: true }), /cifar10: unknown option "download" \(use root, a folder holding the files; nabla downloads nothing at run time\)/);
  // @ts-expect-error torchvision's ImageFolder(transform=...)
  assertThrowsMatching(() => nb.datasets.imageFolder("/nonexistent", { transform: (t: nb.Tensor) => t }), /^imageFolder: unknown option "transform" \(use DataLoader's transform option/);
  // @ts-expect-error misspelt
  assertThrowsMatching(() => nb.datasets.imageFolder("/nonexistent", { extension: [".png"] }), /imageFolder: unknown option "extension" \(did you mean "extensions"\?\); the options are extensions, size, channels$/);
});
