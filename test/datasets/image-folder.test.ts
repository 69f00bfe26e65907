import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pngjs from "pngjs";
import jpeg from "jpeg-js";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const dir = mkdtempSync(join(tmpdir(), "nabla-imagefolder-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

type RGB = [number, number, number];

/** Writes an image given as rows of [r, g, b] pixels; PNG as RGB or grayscale, or JPEG. */
function writeImage(path: string, rows: RGB[][], kind: "png-rgb" | "png-gray" | "jpeg"): void {
  mkdirSync(dirname(path), { recursive: true });
  const height = rows.length, width = rows[0].length;
  const rgba = Buffer.alloc(width * height * 4);
  rows.flat().forEach(([r, g, b], i) => rgba.set([r, g, b, 255], 4 * i));
  if (kind === "jpeg") {
    writeFileSync(path, jpeg.encode({ width, height, data: rgba }, 100).data);
    return;
  }
  const png = new pngjs.PNG({ width, height });
  rgba.copy(png.data);
  writeFileSync(path, pngjs.PNG.sync.write(png, { colorType: kind === "png-rgb" ? 2 : 0 }));
}

const gray = (v: number): RGB => [v, v, v];
const rgbRows: RGB[][] = [
  [[255, 0, 0], [0, 255, 0], [0, 0, 255]],
  [[10, 20, 30], [40, 50, 60], [70, 80, 90]],
];

test("classes are the sorted subfolders; samples are decoded to [C, H, W] in [0, 1]", () => {
  const root = join(dir, "pets");
  writeImage(join(root, "dog", "b.png"), rgbRows, "png-rgb");
  writeImage(join(root, "cat", "z.png"), rgbRows.map((r) => r.map(([a, b, c]): RGB => [c, b, a])), "png-rgb");
  writeImage(join(root, "cat", "deeper", "a.jpg"), [[...Array(3)].map((): RGB => [200, 100, 50]), [...Array(3)].map((): RGB => [200, 100, 50])], "jpeg");
  writeFileSync(join(root, "cat", "notes.txt"), "not an image");
  writeFileSync(join(root, "cat", ".hidden.png"), "skipped");
  const ds = nb.datasets.imageFolder(root);
  assert.deepEqual(ds.classes, ["cat", "dog"]);
  assert.deepEqual(ds.classToIdx, { cat: 0, dog: 1 });
  assert.deepEqual(ds.samples.map((s) => [s.path.slice(root.length + 1), s.label]), [["cat/z.png", 0], ["cat/deeper/a.jpg", 0], ["dog/b.png", 1]]);
  assert.deepEqual(ds.targets, [0, 0, 1]);
  assert.equal(ds.length, 3);
  assert.equal(ds.channels, 3);
  assert.deepEqual(ds.imageSize, [2, 3]);

  const [x, y] = ds.get(2);
  assert.deepEqual(x.shape, [3, 2, 3]);
  assert.equal(x.dtype, "float32");
  assert.equal(y.dtype, "int32");
  assert.deepEqual(y.shape, []);
  assert.equal(y.item(), 1);
  const planes = [0, 1, 2].map((c) => rgbRows.map((r) => r.map((p) => p[c] / 255)));
  assertClose(x, planes, { atol: 1e-7, rtol: 0 });
  // JPEG is lossy: a flat colour comes back within a couple of levels.
  assertClose(ds.get(1)[0], [0, 1, 2].map((c) => [[200, 100, 50][c] / 255]).map((v) => [[v[0], v[0], v[0]], [v[0], v[0], v[0]]]), { atol: 3 / 255 });

  const [bx, by] = ds.getBatch([2, 0]);
  assert.deepEqual(bx.shape, [2, 3, 2, 3]);
  assert.deepEqual(Array.from(by.dataSync()), [1, 0]);
  assertClose(bx.slice(0, 0, 1).squeeze(0), planes, { atol: 1e-7, rtol: 0 });
  const batches = [...new nb.data.DataLoader(ds, { batchSize: 2 })];
  assert.deepEqual(batches.map(([b]) => b.shape), [[2, 3, 2, 3], [1, 3, 2, 3]]);

  // Extensions are matched without case; a class left with no image is an error.
  assertThrowsMatching(() => nb.datasets.imageFolder(root, { extensions: ["JPG"] }),
    new RegExp(`imageFolder: no images with extensions \\.jpg for the classes dog in ${root}`));
});

test("grayscale images give one channel unless some image is in colour", () => {
  const root = join(dir, "digits");
  const ramp = [[gray(0), gray(51)], [gray(204), gray(255)]];
  writeImage(join(root, "0", "a.png"), ramp, "png-gray");
  writeImage(join(root, "1", "b.png"), ramp.map((r) => [...r].reverse()), "png-gray");
  const ds = nb.datasets.imageFolder(root);
  assert.equal(ds.channels, 1);
  assertClose(ds.get(0)[0], [[[0, 0.2], [0.8, 1]]], { atol: 1e-7, rtol: 0 });
  assertClose(ds.get(1)[0], [[[0.2, 0], [1, 0.8]]], { atol: 1e-7, rtol: 0 });
  // Forced to RGB, gray is repeated in the three channels.
  const rgb = nb.datasets.imageFolder(root, { channels: 3 });
  assertClose(rgb.get(0)[0], [0, 1, 2].map(() => [[0, 0.2], [0.8, 1]]), { atol: 1e-7, rtol: 0 });
  // One colour image makes the whole folder RGB; colour forced to gray is ITU-R 601-2 luma.
  writeImage(join(root, "1", "c.png"), [[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [100, 100, 100]]], "png-rgb");
  assert.equal(nb.datasets.imageFolder(root).channels, 3);
  const luma = nb.datasets.imageFolder(root, { channels: 1 });
  assertClose(luma.get(2)[0], [[[0.299, 0.587], [0.114, 100 / 255]]], { atol: 1e-6 });
});

test("size resizes bilinearly like F.interpolate(align_corners=False); without it sizes must agree", () => {
  const root = join(dir, "sizes");
  writeImage(join(root, "a", "wide.png"), [[gray(0), gray(255)]], "png-gray");
  writeImage(join(root, "b", "square.png"), [[gray(0), gray(51)], [gray(102), gray(153)]], "png-gray");
  assertThrowsMatching(() => nb.datasets.imageFolder(root),
    /imageFolder: images differ in size: a\/wide\.png is 1x2 \(HxW\) but b\/square\.png is 2x2; pass \{size: \[height, width\]\} to resize them all/);
  const ds = nb.datasets.imageFolder(root, { size: [1, 4] });
  assert.deepEqual(ds.imageSize, [1, 4]);
  // torch: F.interpolate([[0, 1]], size=(1, 4), mode="bilinear") = [0, 0.25, 0.75, 1].
  assertClose(ds.get(0)[0], [[[0, 0.25, 0.75, 1]]], { atol: 1e-6 });
  // 2x2 [[0, .2], [.4, .6]] to 3x3: corners kept, midpoints averaged.
  const three = nb.datasets.imageFolder(root, { size: 3 });
  assertClose(three.get(1)[0], [[[0, 0.1, 0.2], [0.2, 0.3, 0.4], [0.4, 0.5, 0.6]]], { atol: 1e-6 });
  assertThrowsMatching(() => nb.datasets.imageFolder(root, { size: [0, 4] as [number, number] }), /imageFolder: size must be a positive integer or \[height, width\]/);
});

test("imageFolder errors name the folder or file", () => {
  const missing = join(dir, "missing");
  assertThrowsMatching(() => nb.datasets.imageFolder(missing),
    new RegExp(`imageFolder: the folder ${missing} does not exist or is not a folder; expected one subfolder of images per class`));
  const flat = join(dir, "flat");
  writeImage(join(flat, "x.png"), [[gray(1)]], "png-gray");
  assertThrowsMatching(() => nb.datasets.imageFolder(flat), /imageFolder: .*flat has no subfolders; expected one subfolder of images per class/);
  const fake = join(dir, "fake");
  mkdirSync(join(fake, "a"), { recursive: true });
  writeFileSync(join(fake, "a", "x.png"), "GIF89a not really");
  assertThrowsMatching(() => nb.datasets.imageFolder(fake), /imageFolder: .*fake\/a\/x\.png is not a PNG or JPEG image/);
  // A PNG whose header is fine but whose pixel data is corrupt fails when read.
  const png = new pngjs.PNG({ width: 4, height: 4 });
  const bytes = pngjs.PNG.sync.write(png, { colorType: 2 });
  bytes.fill(0x55, 40, bytes.length - 20);
  writeFileSync(join(fake, "a", "x.png"), bytes);
  const ds = nb.datasets.imageFolder(fake);
  assertThrowsMatching(() => ds.get(0), /imageFolder: cannot decode .*fake\/a\/x\.png as PNG:/);
  assertThrowsMatching(() => ds.get(1), /imageFolder: index 1 is out of range for a dataset of 1 samples/);
  // A header claiming a gigapixel image is refused before decoding.
  bytes.writeUInt32BE(100000, 16);
  bytes.writeUInt32BE(100000, 20);
  writeFileSync(join(fake, "a", "x.png"), bytes);
  assertThrowsMatching(() => nb.datasets.imageFolder(fake), /imageFolder: .*x\.png declares a 100000x100000 image; expected a non-empty image of at most 100000000 pixels/);
});
