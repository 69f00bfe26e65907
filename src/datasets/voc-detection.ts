// nb.datasets.vocDetection: object-detection data in the Pascal VOC layout, so users can bring
// real images (torchvision's VOCDetection, with the targets already as tensors):
//   root/Annotations/<id>.xml     one <object> per box: <name>, <difficult>, <bndbox> with
//                                 1-based inclusive pixel corners xmin, ymin, xmax, ymax
//   root/JPEGImages/<id>.jpg
//   root/ImageSets/Main/<split>.txt   the ids of the split, one per line
// Annotations are read and checked when the dataset is made (errors name the file); images are
// decoded by get(i). Boxes become (x1, y1, x2, y2) in 0-based pixel edges: (xmin − 1, ymin − 1,
// xmax, ymax), so a box's width is its pixel count; labels are 1-based (0 is the background).

import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { checkOptions, describe, optionNames } from "../core/options.js";
import { checkIndex } from "../data/dataset.js";
import type { DetectionDataset, DetectionTarget } from "../data/detection-batches.js";
import { decodeImage, rgbaToPlanes } from "./image-files.js";
import { TORCHVISION_DATASET_ADVICE } from "./data-folder.js";

/** The 20 object classes of Pascal VOC, in the order of their labels 1..20. */
export const VOC_CLASSES: readonly string[] = [
  "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
  "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
];

export interface VocDetectionOptions {
  /** The folder holding Annotations/, JPEGImages/ and ImageSets/ (or, with year, the one holding VOC<year>/ or VOCdevkit/VOC<year>/). */
  root: string;
  /** The ids listed in ImageSets/Main/<split>.txt: "train" (default), "val", "trainval", "test". */
  split?: string;
  /** e.g. "2007" or "2012": look for root/VOC<year> or root/VOCdevkit/VOC<year>, as torchvision. */
  year?: string;
  /** Object class names in label order (label 1 is the first). Default VOC's 20. */
  classes?: readonly string[];
  /** Keep the objects marked difficult (VOC's evaluation ignores them). Default false. */
  keepDifficult?: boolean;
}

export const VOC_DETECTION_OPTIONS = optionNames<VocDetectionOptions>({ root: 1, split: 1, year: 1, classes: 1, keepDifficult: 1 });

/** A VOC target: boxes and labels, plus which objects are marked difficult (1) for VOC's metric. */
export interface VocTarget extends DetectionTarget {
  difficult: Tensor;
}

interface Annotation {
  id: string;
  image: string;
  boxes: Float32Array;
  labels: Int32Array;
  difficult: Int32Array;
}

export class VocDetection implements DetectionDataset {
  readonly root: string;
  readonly split: string;
  /** Class names by label: "__background__" (label 0), then the object classes. */
  readonly classes: readonly string[];
  readonly ids: readonly string[];
  private readonly annotations: Annotation[];

  constructor(opts: VocDetectionOptions) {
    const op = "vocDetection";
    if (opts === null || typeof opts !== "object") throw new TypeError(`${op}: expected options { root, split?, ... }, got ${describe(opts)}`);
    checkOptions(op, opts, VOC_DETECTION_OPTIONS, { ...TORCHVISION_DATASET_ADVICE, image_set: "split" });
    if (typeof opts.root !== "string") throw new TypeError(`${op}: root must be the path of a folder in the Pascal VOC layout, got ${describe(opts.root)}`);
    this.root = vocFolder(op, opts.root, opts.year);
    this.split = opts.split ?? "train";
    if (typeof this.split !== "string" || !/^[\w.-]+$/.test(this.split)) throw new RangeError(`${op}: split must name a file of ImageSets/Main, e.g. "train", got ${describe(opts.split)}`);
    const objectClasses = opts.classes ?? VOC_CLASSES;
    if (!Array.isArray(objectClasses) || objectClasses.length === 0 || objectClasses.some((c) => typeof c !== "string") || new Set(objectClasses).size !== objectClasses.length) {
      throw new RangeError(`${op}: classes must be distinct class names (without "__background__"), got ${describe(objectClasses)}`);
    }
    this.classes = ["__background__", ...objectClasses];
    const keepDifficult = opts.keepDifficult ?? false;
    if (typeof keepDifficult !== "boolean") throw new TypeError(`${op}: keepDifficult must be true or false, got ${describe(keepDifficult)}`);

    const listFile = join(this.root, "ImageSets", "Main", `${this.split}.txt`);
    if (!isFile(listFile)) throw new Error(`${op}: split file ${listFile} not found (expected the Pascal VOC layout: Annotations/, JPEGImages/, ImageSets/Main/<split>.txt)`);
    // A class's own list (e.g. dog_train.txt) has a second column; the id is the first.
    this.ids = readFileSync(listFile, "utf8").split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0]).filter((id) => id.length > 0);
    const labelOf = new Map(objectClasses.map((c, i) => [c, i + 1]));
    const parser = new XMLParser({ isArray: (name) => name === "object", parseTagValue: false });
    this.annotations = this.ids.map((id) => readAnnotation(op, this.root, id, parser, labelOf, keepDifficult));
  }

  get length(): number {
    return this.annotations.length;
  }

  get(index: number): [Tensor, VocTarget] {
    checkIndex("vocDetection", index, this.length);
    const a = this.annotations[index];
    const img = decodeImage("vocDetection", a.image, "jpeg");
    const pixels = new Float32Array(3 * img.width * img.height);
    rgbaToPlanes(img, 3, false, pixels, 0);
    const k = a.labels.length;
    return [
      tensor(pixels, { shape: [3, img.height, img.width] }),
      {
        boxes: tensor(a.boxes, { shape: [k, 4] }),
        labels: tensor(a.labels, { shape: [k], dtype: "int32" }),
        difficult: tensor(a.difficult, { shape: [k], dtype: "int32" }),
      },
    ];
  }
}

const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();
const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

function vocFolder(op: string, root: string, year: unknown): string {
  if (year === undefined) return root;
  if (typeof year !== "string" || !/^\d{4}$/.test(year)) throw new RangeError(`${op}: year must be a string such as "2007" or "2012", got ${describe(year)}`);
  for (const candidate of [join(root, `VOC${year}`), join(root, "VOCdevkit", `VOC${year}`)]) if (isDir(candidate)) return candidate;
  throw new Error(`${op}: no VOC${year} folder under ${root} (looked for ${join(root, `VOC${year}`)} and ${join(root, "VOCdevkit", `VOC${year}`)})`);
}

interface XmlObject {
  name?: unknown;
  difficult?: unknown;
  bndbox?: { xmin?: unknown; ymin?: unknown; xmax?: unknown; ymax?: unknown };
}

function readAnnotation(op: string, root: string, id: string, parser: XMLParser, labelOf: Map<string, number>, keepDifficult: boolean): Annotation {
  const xmlFile = join(root, "Annotations", `${id}.xml`);
  const image = join(root, "JPEGImages", `${id}.jpg`);
  if (!isFile(xmlFile)) throw new Error(`${op}: annotation ${xmlFile} not found (listed in the split file)`);
  if (!isFile(image)) throw new Error(`${op}: image ${image} not found (annotated in ${xmlFile})`);
  const text = readFileSync(xmlFile, "utf8");
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`${op}: ${xmlFile} is not valid XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = parser.parse(text) as { annotation?: { object?: XmlObject[] } };
  if (!doc.annotation || typeof doc.annotation !== "object") throw new Error(`${op}: ${xmlFile} has no <annotation> element`);
  const boxes: number[] = [], labels: number[] = [], difficult: number[] = [];
  (doc.annotation.object ?? []).forEach((o, i) => {
    const where = `${xmlFile}, object ${i}`;
    const name = typeof o.name === "string" ? o.name.trim() : "";
    const label = labelOf.get(name);
    if (label === undefined) throw new Error(`${op}: ${where}: unknown class ${JSON.stringify(name)} (the classes are ${[...labelOf.keys()].join(", ")})`);
    const hard = String(o.difficult ?? "0").trim() === "1" ? 1 : 0;
    if (hard && !keepDifficult) return;
    const b = o.bndbox ?? {};
    const [xmin, ymin, xmax, ymax] = [b.xmin, b.ymin, b.xmax, b.ymax].map((v) => Number(String(v ?? "").trim() || NaN));
    if (![xmin, ymin, xmax, ymax].every(Number.isFinite)) {
      throw new Error(`${op}: ${where}: <bndbox> needs numeric xmin, ymin, xmax, ymax, got ${JSON.stringify(b)}`);
    }
    if (xmax < xmin || ymax < ymin) {
      throw new RangeError(`${op}: ${where}: box (xmin ${xmin}, ymin ${ymin}, xmax ${xmax}, ymax ${ymax}) has xmax < xmin or ymax < ymin`);
    }
    boxes.push(xmin - 1, ymin - 1, xmax, ymax);
    labels.push(label);
    difficult.push(hard);
  });
  return { id, image, boxes: Float32Array.from(boxes), labels: Int32Array.from(labels), difficult: Int32Array.from(difficult) };
}

/** Pascal VOC detection data from a folder in the VOC layout (see VocDetectionOptions). */
export function vocDetection(opts: VocDetectionOptions): VocDetection {
  return new VocDetection(opts);
}
