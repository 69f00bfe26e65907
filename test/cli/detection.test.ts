// `nabla train --model fasterrcnn --dataset shapes` and `nabla detect`: the files they write, the
// pictures' sizes, and their usage errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pngjs from "pngjs";
import jpeg from "jpeg-js";
import * as nb from "../../src/index.js";
import { runCli } from "../helpers/cli.js";
import { saveBoxes } from "../../src/viz/draw-boxes.js";

test("train --model fasterrcnn (shapes by default) writes weights, detector.json, metrics and box pictures; detect draws boxes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-frcnn-"));
  try {
    const r = await runCli("train", "--model", "fasterrcnn", "--limit", "16", "--test-limit", "8", "--epochs", "1", "--out", dir, "--quiet");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /validation \(8 images\): mAP@0.5 \d\.\d{3}/);
    for (const f of ["model.safetensors", "detector.json", "history.json", "metrics.json", "predictions/val-00.png", "predictions/val-07.png"]) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "detector.json"), "utf8")).classes, ["__background__", "rectangle", "circle", "triangle"]);
    const pic = pngjs.PNG.sync.read(readFileSync(join(dir, "predictions/val-00.png")));
    assert.deepEqual([pic.width, pic.height], [256, 256]);

    const [image] = nb.datasets.shapes({ n: 1, imageSize: 64, seed: 9 }).get(0);
    saveBoxes(join(dir, "input.png"), image, [], { scale: 1 });
    const d = await runCli("detect", "--weights", join(dir, "model.safetensors"), "--image", join(dir, "input.png"), "--out", join(dir, "boxes.png"), "--score-threshold", "0");
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /\d+ detection\(s\) with score >= 0; wrote .*boxes\.png/);
    const boxes = pngjs.PNG.sync.read(readFileSync(join(dir, "boxes.png")));
    assert.deepEqual([boxes.width, boxes.height], [256, 256]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("detection CLI usage errors: a classification dataset, missing weights or image", async () => {
  const bad = await runCli("train", "--model", "fasterrcnn", "--dataset", "mnist", "--epochs", "1");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown --dataset "mnist"; choose one of shapes, voc/);
  const voc = await runCli("train", "--model", "fasterrcnn", "--dataset", "voc");
  assert.equal(voc.code, 2);
  assert.match(voc.err, /--dataset voc needs --root/);
  const missing = await runCli("detect", "--weights", "/nonexistent/model.safetensors", "--image", "x.png");
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--weights: no such file \/nonexistent\/model.safetensors/);
});

/** A two-image Pascal VOC folder (flat-colour JPEGs with a darker box, XML annotations, train/val lists). */
function writeTinyVoc(root: string): void {
  for (const d of ["Annotations", "JPEGImages", join("ImageSets", "Main")]) mkdirSync(join(root, d), { recursive: true });
  const images: [string, number, number, string, number[]][] = [["000001", 48, 40, "dog", [8, 6, 30, 28]], ["000002", 40, 48, "car", [4, 10, 24, 40]]];
  for (const [id, w, h, name, [x1, y1, x2, y2]] of images) {
    const data = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const inside = x >= x1 && x < x2 && y >= y1 && y < y2;
      data.set(inside ? [30, 30, 200, 255] : [220, 220, 200, 255], 4 * (y * w + x));
    }
    writeFileSync(join(root, "JPEGImages", `${id}.jpg`), jpeg.encode({ data, width: w, height: h }, 95).data);
    writeFileSync(join(root, "Annotations", `${id}.xml`), `<annotation><filename>${id}.jpg</filename><size><width>${w}</width><height>${h}</height><depth>3</depth></size>` +
      `<object><name>${name}</name><difficult>0</difficult><bndbox><xmin>${x1 + 1}</xmin><ymin>${y1 + 1}</ymin><xmax>${x2}</xmax><ymax>${y2}</ymax></bndbox></object></annotation>`);
  }
  writeFileSync(join(root, "ImageSets", "Main", "train.txt"), "000001\n000002\n");
  writeFileSync(join(root, "ImageSets", "Main", "val.txt"), "000002\n");
}

test("train --model fasterrcnn --dataset voc --root: trains on a VOC folder (21 classes) and reports its mAP", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-frcnn-voc-"));
  try {
    writeTinyVoc(join(dir, "VOC"));
    const r = await runCli("train", "--model", "fasterrcnn", "--dataset", "voc", "--root", join(dir, "VOC"), "--image-size", "48", "--epochs", "1", "--out", join(dir, "out"), "--quiet");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /validation \(1 images\): mAP@0.5 \d\.\d{3}/);
    const spec = JSON.parse(readFileSync(join(dir, "out", "detector.json"), "utf8"));
    assert.equal(spec.classes.length, 21);
    assert.equal(spec.minSize, 48);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
