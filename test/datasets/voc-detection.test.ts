// nb.datasets.vocDetection on a tiny Pascal VOC folder written here: two JPEGs (jpeg-js) and
// their XML annotations; then the errors, each naming its file.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jpeg from "jpeg-js";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

interface VocObject { name: string; box: [number, number, number, number]; difficult?: boolean }

function annotationXml(file: string, w: number, h: number, objects: VocObject[]): string {
  const objs = objects.map((o) => `
  <object>
    <name>${o.name}</name>
    <pose>Unspecified</pose>
    <truncated>0</truncated>
    <difficult>${o.difficult ? 1 : 0}</difficult>
    <bndbox><xmin>${o.box[0]}</xmin><ymin>${o.box[1]}</ymin><xmax>${o.box[2]}</xmax><ymax>${o.box[3]}</ymax></bndbox>
  </object>`).join("");
  return `<annotation>
  <folder>VOC2007</folder>
  <filename>${file}</filename>
  <size><width>${w}</width><height>${h}</height><depth>3</depth></size>${objs}
</annotation>
`;
}

/** A VOC folder with the given images (id → size, flat colour, objects) and split files. */
function writeVoc(root: string, images: Record<string, { w: number; h: number; rgb: [number, number, number]; objects: VocObject[] }>, splits: Record<string, string[]>): void {
  for (const d of ["Annotations", "JPEGImages", join("ImageSets", "Main")]) mkdirSync(join(root, d), { recursive: true });
  for (const [id, im] of Object.entries(images)) {
    const data = Buffer.alloc(im.w * im.h * 4);
    for (let p = 0; p < im.w * im.h; p++) data.set([...im.rgb, 255], 4 * p);
    writeFileSync(join(root, "JPEGImages", `${id}.jpg`), jpeg.encode({ data, width: im.w, height: im.h }, 95).data);
    writeFileSync(join(root, "Annotations", `${id}.xml`), annotationXml(`${id}.jpg`, im.w, im.h, im.objects));
  }
  for (const [split, ids] of Object.entries(splits)) writeFileSync(join(root, "ImageSets", "Main", `${split}.txt`), ids.join("\n") + "\n");
}

const IMAGES = {
  "000001": { w: 40, h: 30, rgb: [200, 40, 40] as [number, number, number], objects: [
    { name: "dog", box: [5, 6, 20, 25] as [number, number, number, number] },
    { name: "person", box: [1, 1, 40, 30] as [number, number, number, number], difficult: true },
  ] },
  "000002": { w: 24, h: 32, rgb: [20, 90, 220] as [number, number, number], objects: [
    { name: "car", box: [3, 4, 10, 12] as [number, number, number, number] },
  ] },
};

test("vocDetection reads the VOC layout: images [3, H, W], boxes in 0-based pixel edges, 1-based labels, difficult objects", () => {
  const root = mkdtempSync(join(tmpdir(), "nabla-voc-"));
  try {
    writeVoc(root, IMAGES, { train: ["000001", "000002"], val: ["000002"] });
    const ds = nb.datasets.vocDetection({ root });
    assert.equal(ds.length, 2);
    assert.equal(ds.classes.length, 21);
    assert.equal(ds.classes[0], "__background__");
    const [image, target] = ds.get(0);
    assert.deepEqual(image.shape, [3, 30, 40]);
    // The JPEG's flat colour, within JPEG's rounding.
    assertClose(image.mean([1, 2]), [200 / 255, 40 / 255, 40 / 255], { atol: 0.02 });
    // (xmin − 1, ymin − 1, xmax, ymax); the difficult person is left out by default.
    assert.deepEqual(target.boxes.toArray(), [[4, 5, 20, 25]]);
    assert.deepEqual(Array.from(target.labels.dataSync()), [nb.datasets.VOC_CLASSES.indexOf("dog") + 1]);
    assert.equal(target.labels.dtype, "int32");

    const all = nb.datasets.vocDetection({ root, keepDifficult: true }).get(0)[1];
    assert.deepEqual(all.boxes.toArray(), [[4, 5, 20, 25], [0, 0, 40, 30]]);
    assert.deepEqual(Array.from(all.labels.dataSync()), [12, 15]);
    assert.deepEqual(Array.from(all.difficult.dataSync()), [0, 1]);

    const val = nb.datasets.vocDetection({ root, split: "val", classes: ["car", "dog", "person"] });
    assert.equal(val.length, 1);
    assert.deepEqual(val.classes, ["__background__", "car", "dog", "person"]);
    const [im2, t2] = val.get(0);
    assert.deepEqual(im2.shape, [3, 32, 24]);
    assert.deepEqual(t2.boxes.toArray(), [[2, 3, 10, 12]]);
    assert.deepEqual(Array.from(t2.labels.dataSync()), [1]);
    // Batches as detection lists.
    const [images, targets] = [...new nb.data.DetectionDataLoader(ds, { batchSize: 2 })][0];
    assert.deepEqual(images.map((t) => t.shape), [[3, 30, 40], [3, 32, 24]]);
    assert.equal(targets.length, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("vocDetection: year finds root/VOCdevkit/VOC<year>, as torchvision", () => {
  const root = mkdtempSync(join(tmpdir(), "nabla-voc-"));
  try {
    writeVoc(join(root, "VOCdevkit", "VOC2007"), { "000002": IMAGES["000002"] }, { trainval: ["000002"] });
    assert.equal(nb.datasets.vocDetection({ root, year: "2007", split: "trainval" }).length, 1);
    assertThrowsMatching(() => nb.datasets.vocDetection({ root, year: "2012" }), /^vocDetection: no VOC2012 folder under .*nabla-voc-/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("vocDetection: errors name the file (missing image, bad XML, unknown class, box with xmax < xmin, missing split)", () => {
  const root = mkdtempSync(join(tmpdir(), "nabla-voc-"));
  try {
    writeVoc(root, IMAGES, { train: ["000001", "000002"], extra: ["000003"] });
    const ann = (id: string): string => join(root, "Annotations", `${id}.xml`);
    const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    assertThrowsMatching(() => nb.datasets.vocDetection({ root, split: "extra" }), new RegExp(`^vocDetection: annotation ${esc(ann("000003"))} not found`));
    writeFileSync(ann("000003"), annotationXml("000003.jpg", 8, 8, []));
    assertThrowsMatching(() => nb.datasets.vocDetection({ root, split: "extra" }), new RegExp(`^vocDetection: image ${esc(join(root, "JPEGImages", "000003.jpg"))} not found`));
    assertThrowsMatching(() => nb.datasets.vocDetection({ root, split: "test" }), new RegExp(`^vocDetection: split file ${esc(join(root, "ImageSets", "Main", "test.txt"))} not found`));
    assertThrowsMatching(() => nb.datasets.vocDetection({ root, classes: ["dog", "person"] }), new RegExp(`^vocDetection: ${esc(ann("000002"))}, object 0: unknown class "car" \\(the classes are dog, person\\)$`));
    writeFileSync(ann("000002"), annotationXml("000002.jpg", 24, 32, [{ name: "car", box: [10, 4, 3, 12] }]));
    assertThrowsMatching(() => nb.datasets.vocDetection({ root }), new RegExp(`^vocDetection: ${esc(ann("000002"))}, object 0: box \\(xmin 10, ymin 4, xmax 3, ymax 12\\) has xmax < xmin or ymax < ymin$`));
    writeFileSync(ann("000002"), "<annotation><object><name>car</name></annotation>");
    assertThrowsMatching(() => nb.datasets.vocDetection({ root }), new RegExp(`^vocDetection: ${esc(ann("000002"))} is not valid XML: `));
    // A corrupt JPEG fails when the image is read, naming it.
    writeFileSync(ann("000002"), annotationXml("000002.jpg", 24, 32, []));
    writeFileSync(join(root, "JPEGImages", "000002.jpg"), "not a jpeg");
    const ds = nb.datasets.vocDetection({ root }); // an image without objects is valid
    assertThrowsMatching(() => ds.get(1), new RegExp(`^vocDetection: cannot decode ${esc(join(root, "JPEGImages", "000002.jpg"))} as JPEG`));
    // @ts-expect-error torchvision's spelling
    assertThrowsMatching(() => nb.datasets.vocDetection({ root, image_set: "val" }), /^vocDetection: unknown option "image_set" \(use split\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
