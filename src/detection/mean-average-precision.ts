// Mean average precision of detections, COCO's definition (pycocotools' COCOeval for bounding
// boxes, area "all") by default and Pascal VOC's with {voc: true}. Everything runs on the host in
// float64; inputs may be tensors or plain arrays.
//
// COCO: per image and class, detections sorted by score (top maxDetections) are matched greedily,
// each to the unmatched target of highest IoU ≥ t; per class, all images' detections are ranked
// by score, precision is made monotone and read at 101 recall points (0, 0.01, …, 1); AP is the
// mean over IoU thresholds 0.50:0.05:0.95 and recall points, mAP the mean over classes that
// have targets. VOC (devkit 2010+): IoU ≥ 0.5 with each detection's best target (a target found
// twice makes the second detection a false positive), AP the area under the monotone
// precision/recall curve (all points), or the 11-point mean with {elevenPoint: true}.

import { Tensor } from "../tensor/tensor.js";
import { checkOptions } from "../core/options.js";

type Rows = Tensor | readonly (readonly number[])[];
type Values = Tensor | readonly number[];

export interface DetectionPrediction {
  /** [K, 4] (x1, y1, x2, y2). */
  boxes: Rows;
  scores: Values;
  labels: Values;
}
export interface DetectionTarget {
  boxes: Rows;
  labels: Values;
}
export interface MeanAveragePrecisionOptions {
  /** IoU thresholds averaged into `map` (COCO: 0.50:0.05:0.95; VOC: [0.5]). */
  iouThresholds?: number[];
  /** Pascal VOC's definition instead of COCO's. */
  voc?: boolean;
  /** With voc: the 11-point interpolated AP of VOC2007 instead of the area under the curve. */
  elevenPoint?: boolean;
  /** COCO: detections per image (and class) considered, highest scores first (default 100). */
  maxDetections?: number;
}
const OPTIONS = ["iouThresholds", "voc", "elevenPoint", "maxDetections"] as const;

export interface ClassAveragePrecision {
  label: number;
  /** AP averaged over iouThresholds; -1 when the class has no targets (as pycocotools). */
  ap: number;
  ap50: number;
  ap75: number;
  numTargets: number;
  numPredictions: number;
}
export interface MeanAveragePrecisionResult {
  /** Mean over classes with targets (and over iouThresholds); -1 when no class has targets. */
  map: number;
  map50: number;
  map75: number;
  perClass: ClassAveragePrecision[];
}

/** numpy.linspace(start, stop, n), value for value (the thresholds compare exactly with IoUs). */
function linspace(start: number, stop: number, n: number): number[] {
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : i * step + start));
}
export const COCO_IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
const RECALL_POINTS = linspace(0, 1, 101);

interface Box {
  x1: number; y1: number; x2: number; y2: number;
}
interface Image {
  preds: { box: Box; score: number; label: number }[];
  targets: { box: Box; label: number }[];
}

function rowsOf(what: string, v: Rows): number[][] {
  if (v instanceof Tensor) {
    if (v.ndim !== 2 || v.shape[1] !== 4) {
      if (!(v.ndim === 1 && v.shape[0] === 0)) throw new RangeError(`meanAveragePrecision: ${what} must be [K, 4], got shape [${v.shape.join(", ")}]`);
      return [];
    }
    const d = v.dataSync();
    return Array.from({ length: v.shape[0] }, (_, k) => [d[4 * k], d[4 * k + 1], d[4 * k + 2], d[4 * k + 3]].map(Number));
  }
  if (!Array.isArray(v)) throw new TypeError(`meanAveragePrecision: ${what} must be a [K, 4] tensor or array`);
  return v.map((r, k) => {
    if (!Array.isArray(r) || r.length !== 4) throw new RangeError(`meanAveragePrecision: ${what}[${k}] must have 4 numbers (x1, y1, x2, y2)`);
    return [...r];
  });
}

function valuesOf(what: string, v: Values, n: number): number[] {
  const out = v instanceof Tensor ? Array.from(v.dataSync(), Number) : Array.isArray(v) ? [...v] : null;
  if (out === null) throw new TypeError(`meanAveragePrecision: ${what} must be a tensor or an array of numbers`);
  if (out.length !== n) throw new RangeError(`meanAveragePrecision: ${what} has ${out.length} values for ${n} boxes`);
  return out;
}

function toBox(where: string, r: number[]): Box {
  const [x1, y1, x2, y2] = r;
  if (!(x2 >= x1) || !(y2 >= y1)) throw new RangeError(`meanAveragePrecision: ${where} = (${r.join(", ")}) has x2 < x1 or y2 < y1`);
  return { x1, y1, x2, y2 };
}

function readImages(preds: readonly DetectionPrediction[], targets: readonly DetectionTarget[]): Image[] {
  if (!Array.isArray(preds) || !Array.isArray(targets)) throw new TypeError("meanAveragePrecision: preds and targets must be arrays (one entry per image)");
  if (preds.length !== targets.length) throw new RangeError(`meanAveragePrecision: ${preds.length} predictions for ${targets.length} images; give one of each per image`);
  return preds.map((p, i) => {
    const t = targets[i];
    const pb = rowsOf(`preds[${i}].boxes`, p.boxes), tb = rowsOf(`targets[${i}].boxes`, t.boxes);
    const scores = valuesOf(`preds[${i}].scores`, p.scores, pb.length), labels = valuesOf(`preds[${i}].labels`, p.labels, pb.length);
    const tLabels = valuesOf(`targets[${i}].labels`, t.labels, tb.length);
    return {
      preds: pb.map((r, k) => ({ box: toBox(`preds[${i}].boxes[${k}]`, r), score: scores[k], label: labels[k] })),
      targets: tb.map((r, k) => ({ box: toBox(`targets[${i}].boxes[${k}]`, r), label: tLabels[k] })),
    };
  });
}

function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1), h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/** Stable sort of indices by descending score (numpy's mergesort of −score). */
const byScore = <T extends { score: number }>(items: T[]): T[] => items.map((x, i) => [x, i] as const).sort((a, b) => b[0].score - a[0].score || a[1] - b[1]).map(([x]) => x);

/** One class's ranked detections: for each, whether it matched at each threshold; and the target count. */
interface Ranked {
  matched: boolean[][]; // [threshold][detection], detections in ranking order
  numTargets: number;
  numPredictions: number;
}

/** COCO's evaluateImg + accumulate ordering for one class. */
function rankCoco(images: Image[], label: number, thresholds: number[], maxDets: number): Ranked {
  const rows: { score: number; hits: boolean[] }[] = [];
  let numTargets = 0, numPredictions = 0;
  for (const im of images) {
    const gts = im.targets.filter((t) => t.label === label);
    const dts = byScore(im.preds.filter((p) => p.label === label)).slice(0, maxDets);
    numTargets += gts.length;
    numPredictions += dts.length;
    const hits = dts.map(() => thresholds.map(() => false));
    thresholds.forEach((t, ti) => {
      const taken = new Uint8Array(gts.length);
      dts.forEach((d, di) => {
        let best = Math.min(t, 1 - 1e-10), m = -1;
        gts.forEach((g, gi) => {
          if (taken[gi]) return;
          const o = iou(d.box, g.box);
          if (o < best) return;
          best = o;
          m = gi;
        });
        if (m >= 0) {
          taken[m] = 1;
          hits[di][ti] = true;
        }
      });
    });
    dts.forEach((d, di) => rows.push({ score: d.score, hits: hits[di] }));
  }
  const ranked = byScore(rows);
  return { matched: thresholds.map((_, ti) => ranked.map((r) => r.hits[ti])), numTargets, numPredictions };
}

/** VOC's matching for one class: detections over all images by score, each against its best target. */
function rankVoc(images: Image[], label: number, thresholds: number[]): Ranked {
  const dets: { score: number; image: number; box: Box }[] = [];
  let numTargets = 0;
  images.forEach((im, i) => {
    numTargets += im.targets.filter((t) => t.label === label).length;
    for (const p of im.preds) if (p.label === label) dets.push({ score: p.score, image: i, box: p.box });
  });
  const ranked = byScore(dets);
  const matched = thresholds.map((t) => {
    const found = images.map((im) => new Uint8Array(im.targets.length));
    return ranked.map((d) => {
      let best = -Infinity, at = -1;
      images[d.image].targets.forEach((g, gi) => {
        if (g.label !== label) return;
        const o = iou(d.box, g.box);
        if (o > best) {
          best = o;
          at = gi;
        }
      });
      if (at < 0 || best < t || found[d.image][at]) return false;
      found[d.image][at] = 1;
      return true;
    });
  });
  return { matched, numTargets, numPredictions: dets.length };
}

/** Cumulative recall and precision along the ranking. */
function curve(hits: boolean[], numTargets: number): { recall: number[]; precision: number[] } {
  const recall: number[] = [], precision: number[] = [];
  let tp = 0, fp = 0;
  for (const h of hits) {
    if (h) tp++;
    else fp++;
    recall.push(tp / numTargets);
    precision.push(tp / (tp + fp + Number.EPSILON));
  }
  return { recall, precision };
}

/** COCO: the monotone precision read at 101 recall points (searchsorted left), averaged. */
function ap101(hits: boolean[], numTargets: number): number {
  const { recall, precision } = curve(hits, numTargets);
  for (let i = precision.length - 1; i > 0; i--) if (precision[i] > precision[i - 1]) precision[i - 1] = precision[i];
  let sum = 0, j = 0;
  for (const r of RECALL_POINTS) {
    while (j < recall.length && recall[j] < r) j++;
    if (j < recall.length) sum += precision[j];
  }
  return sum / RECALL_POINTS.length;
}

/** VOC: area under the monotone precision envelope (all points), or the 11-point mean. */
function apVoc(hits: boolean[], numTargets: number, elevenPoint: boolean): number {
  const { recall, precision } = curve(hits, numTargets);
  if (elevenPoint) {
    let ap = 0;
    for (let k = 0; k <= 10; k++) {
      const t = k / 10;
      let p = 0;
      recall.forEach((r, i) => {
        if (r >= t) p = Math.max(p, precision[i]);
      });
      ap += p / 11;
    }
    return ap;
  }
  const mrec = [0, ...recall, 1], mpre = [0, ...precision, 0];
  for (let i = mpre.length - 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1], mpre[i]);
  let ap = 0;
  for (let i = 1; i < mrec.length; i++) if (mrec[i] !== mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
  return ap;
}

const mean = (xs: number[]): number => (xs.length === 0 ? -1 : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * Mean average precision of `preds` (one {boxes, scores, labels} per image) against `targets`
 * (one {boxes, labels} per image; an image without objects has empty boxes). Returns map (over
 * iouThresholds), map50, map75 and each class's AP.
 */
export function meanAveragePrecision(
  preds: readonly DetectionPrediction[], targets: readonly DetectionTarget[], opts: MeanAveragePrecisionOptions = {},
): MeanAveragePrecisionResult {
  checkOptions("meanAveragePrecision", opts, OPTIONS);
  const voc = opts.voc ?? false;
  const thresholds = opts.iouThresholds ?? (voc ? [0.5] : COCO_IOU_THRESHOLDS);
  if (!Array.isArray(thresholds) || thresholds.length === 0 || !thresholds.every((t) => typeof t === "number" && t >= 0 && t <= 1)) {
    throw new RangeError(`meanAveragePrecision: iouThresholds must be a non-empty array of numbers in [0, 1], got ${JSON.stringify(thresholds)}`);
  }
  const maxDets = opts.maxDetections ?? 100;
  if (!Number.isInteger(maxDets) || maxDets < 1) throw new RangeError(`meanAveragePrecision: maxDetections must be a positive integer, got ${String(maxDets)}`);
  if (opts.elevenPoint && !voc) throw new RangeError("meanAveragePrecision: elevenPoint applies to VOC's definition; pass voc: true");
  const images = readImages(preds, targets);
  // Every threshold asked for, plus 0.5 and 0.75 for map50 / map75 (the same number where it is in both).
  const all = [...thresholds];
  for (const t of [0.5, 0.75]) if (!all.some((u) => Math.abs(u - t) < 1e-12)) all.push(t);
  const at = (t: number): number => all.findIndex((u) => Math.abs(u - t) < 1e-12);
  const labels = [...new Set(images.flatMap((im) => [...im.targets.map((t) => t.label), ...im.preds.map((p) => p.label)]))].sort((a, b) => a - b);
  const perClass: ClassAveragePrecision[] = labels.map((label) => {
    const r = voc ? rankVoc(images, label, all) : rankCoco(images, label, all, maxDets);
    const aps = r.matched.map((hits) => (r.numTargets === 0 ? -1 : voc ? apVoc(hits, r.numTargets, opts.elevenPoint ?? false) : ap101(hits, r.numTargets)));
    return {
      label,
      ap: r.numTargets === 0 ? -1 : mean(thresholds.map((_, i) => aps[i])),
      ap50: aps[at(0.5)],
      ap75: aps[at(0.75)],
      numTargets: r.numTargets,
      numPredictions: r.numPredictions,
    };
  });
  const scored = perClass.filter((c) => c.numTargets > 0);
  return { map: mean(scored.map((c) => c.ap)), map50: mean(scored.map((c) => c.ap50)), map75: mean(scored.map((c) => c.ap75)), perClass };
}
