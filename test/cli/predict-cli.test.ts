// `nabla predict`: top-k classes of PNG/JPEG files against the model's own forward pass, the
// class count and channels read from the weights, names from classes.json or --classes, --resize,
// and one clear line for every kind of bad input.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pngjs from "pngjs";
import jpeg from "jpeg-js";
import * as nb from "../../src/index.js";
import { buildModel } from "../../src/cli/registry.js";
import { runCli } from "../helpers/cli.js";

/** A w x h PNG of a gray ramp with a bright square, and its pixels as [1, 1, h, w] in [0, 1]. */
function grayPng(path: string, w: number, h: number, seed: number): nb.Tensor {
  const png = new pngjs.PNG({ width: w, height: h });
  const values = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const [r, c] = [Math.floor(i / w), i % w];
    const v = (r * 7 + c * 3 + seed * 40) % 256 > 128 && Math.abs(r - h / 2) < h / 4 ? 255 : (r * w + c + seed * 17) % 200;
    png.data.set([v, v, v, 255], 4 * i);
    values[i] = v / 255;
  }
  writeFileSync(path, pngjs.PNG.sync.write(png, { colorType: 0 }));
  return nb.tensor(values, { shape: [1, 1, h, w] });
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "nabla-predict-"));
  nb.manualSeed(3);
  const model = buildModel("typical-cnn", { numClasses: 4 });
  await nb.save(model, join(dir, "best.safetensors"));
  writeFileSync(join(dir, "classes.json"), JSON.stringify(["cat", "dog", "cow", "owl"]));
  const images = join(dir, "images");
  mkdirSync(join(images, "more"), { recursive: true });
  const a = grayPng(join(images, "a.png"), 28, 28, 1);
  const b = grayPng(join(images, "more", "b.png"), 28, 28, 2);
  const big = grayPng(join(dir, "big.png"), 40, 36, 3);
  const rgb = new Uint8Array(28 * 28 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
  writeFileSync(join(images, "c.jpg"), jpeg.encode({ data: rgb, width: 28, height: 28 }, 95).data);
  writeFileSync(join(images, "notes.txt"), "not an image, skipped in a folder");
  writeFileSync(join(dir, "bad.png"), "this is not a PNG");
  return { dir, model, a, b, big, images };
}

function expected(model: nb.nn.Module, x: nb.Tensor): number[] {
  model.eval();
  return Array.from(nb.softmax(nb.predict(model, x), 1).dataSync() as Float32Array);
}

test("predict prints each image's top-k classes with the model's probabilities, names from classes.json", async () => {
  const { dir, model, a, b, big, images } = await setup();
  const r = await runCli("predict", "--model", "typical-cnn", "--weights", join(dir, "best.safetensors"), "--input", images, join(dir, "big.png"), "--resize", "--json", "--top-k", "3");
  assert.equal(r.code, 0, r.err);
  const results = JSON.parse(r.out) as { file: string; predictions: { index: number; class: string; probability: number }[] }[];
  // Folders are searched recursively (sorted), non-images in them skipped; files are taken as given.
  assert.deepEqual(results.map((x) => x.file), [join(images, "a.png"), join(images, "c.jpg"), join(images, "more", "b.png"), join(dir, "big.png")]);
  const resized = nb.nn.functional.interpolate(big, { size: [28, 28], mode: "bilinear" });
  for (const [i, x] of [[0, a], [2, b], [3, resized]] as const) {
    const p = expected(model, x);
    const order = [0, 1, 2, 3].sort((u, v) => p[v] - p[u]).slice(0, 3);
    assert.deepEqual(results[i].predictions.map((q) => q.index), order);
    assert.deepEqual(results[i].predictions.map((q) => q.class), order.map((j) => ["cat", "dog", "cow", "owl"][j]));
    results[i].predictions.forEach((q, j) => assert.ok(Math.abs(q.probability - p[order[j]]) < 1e-5, `${results[i].file}: ${q.probability} vs ${p[order[j]]}`));
  }
  // The colour JPEG went in as one gray channel: three of the four classes, probabilities descending.
  const jpg = results[1].predictions.map((q) => q.probability);
  assert.ok(jpg.length === 3 && jpg[0] >= jpg[1] && jpg[1] >= jpg[2] && jpg[0] + jpg[1] + jpg[2] <= 1 + 1e-6);

  const text = await runCli("predict", "--model", "typical-cnn", "--weights", join(dir, "best.safetensors"), "--input", join(images, "a.png"), "--top-k", "9");
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, new RegExp(`^${join(images, "a.png").replace(/[.]/g, "\\.")}: (cat|dog|cow|owl) \\d+\\.\\d\\d%, .*, .*, .*\\d%$`));
});

test("predict reads the classes and channels from the weights, and --classes names them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-predict-rgb-"));
  nb.manualSeed(4);
  const model = buildModel("typical-cnn", { numClasses: 2, inChannels: 3 });
  await nb.save(model, join(dir, "w.safetensors"));
  writeFileSync(join(dir, "names.txt"), "left\nright\n");
  const gray = grayPng(join(dir, "g.png"), 28, 28, 5);
  const r = await runCli("predict", "--model", "typical-cnn", "--weights", join(dir, "w.safetensors"), "--input", join(dir, "g.png"), "--classes", join(dir, "names.txt"), "--json");
  assert.equal(r.code, 0, r.err);
  const [result] = JSON.parse(r.out);
  // A gray image fed to a 3-channel model: the same plane three times.
  const p = expected(model, nb.cat([gray, gray, gray], 1));
  assert.deepEqual(result.predictions.map((q: { class: string }) => q.class), p[0] >= p[1] ? ["left", "right"] : ["right", "left"]);
  assert.ok(Math.abs(result.predictions[0].probability - Math.max(...p)) < 1e-5);
});

test("bad input to predict: one line and a non-zero exit", async () => {
  const { dir, images } = await setup();
  const weights = join(dir, "best.safetensors");
  nb.manualSeed(0);
  await nb.save(buildModel("lenet5", {}), join(dir, "lenet5.safetensors"));
  writeFileSync(join(dir, "three.txt"), "a\nb\nc\n");
  mkdirSync(join(dir, "empty"));
  const cases: [string[], RegExp][] = [
    [["--model", "resnet9000", "--weights", weights, "--input", images], /^nabla: unknown model "resnet9000"/],
    [["--model", "vae", "--weights", weights, "--input", images], /^nabla: predict classifies images; --model vae generates images/],
    [["--model", "typical-cnn", "--weights", join(dir, "missing.safetensors"), "--input", images], /^nabla: --weights .*missing\.safetensors: no such file$/],
    [["--model", "typical-cnn", "--weights", join(dir, "lenet5.safetensors"), "--input", images], /^nabla: --weights .*lenet5\.safetensors does not fit --model typical-cnn: /],
    [["--model", "typical-cnn", "--weights", weights, "--input", join(dir, "bad.png")], /^nabla: predict: .*bad\.png is not a PNG or JPEG image/],
    [["--model", "typical-cnn", "--weights", weights, "--input", join(dir, "big.png")], /^nabla: predict: .*big\.png is 40x36; typical-cnn takes 28x28 images \(add --resize to scale them\)$/],
    [["--model", "typical-cnn", "--weights", weights, "--input", join(dir, "nothing-here")], /^nabla: --input .*nothing-here: no such file or folder$/],
    [["--model", "typical-cnn", "--weights", weights, "--input", join(dir, "empty")], /^nabla: --input .*empty: the folder holds no \.png, \.jpg or \.jpeg images$/],
    [["--model", "typical-cnn", "--weights", weights, "--input", images, "--classes", join(dir, "three.txt")], /^nabla: --classes .*three\.txt names 3 classes; the weights have 4$/],
    [["--model", "typical-cnn", "--weights", weights, "--input", images, "--top-k", "0"], /^nabla: --top-k must be at least 1, got 0$/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await runCli("predict", ...argv);
    assert.notEqual(r.code, 0, argv.join(" "));
    const lines = r.err.trim().split("\n");
    assert.equal(lines.length, 1, `${argv.join(" ")}: one line, got ${r.err}`);
    assert.match(lines[0], pattern);
  }
});
