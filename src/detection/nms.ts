// Non-maximum suppression as torchvision.ops.nms / batched_nms: the kept indices, by descending
// score (equal scores: lower index first, torch's stable sort). Greedy: each kept box suppresses
// the boxes after it whose IoU with it exceeds the threshold, O(n log n + kept·n). The backend's
// kernel runs when it has one (native), else host-kernels.ts.

import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { formatShape } from "../core/shape.js";
import { assertTensor, empty } from "../ops/util.js";
import { contiguous } from "../ops/view.js";
import { assertBoxes } from "./boxes.js";
import { descendingOrder, nmsHost, rounding } from "./host-kernels.js";

function checkThreshold(op: string, iouThreshold: unknown): number {
  if (typeof iouThreshold !== "number" || Number.isNaN(iouThreshold)) throw new TypeError(`${op}: iouThreshold must be a number, got ${String(iouThreshold)}`);
  return iouThreshold;
}

function checkScores(op: string, boxes: Tensor, scores: unknown): Tensor {
  const s = assertTensor(op, scores, "scores");
  if (s.ndim !== 1 || s.shape[0] !== boxes.shape[0]) {
    throw new RangeError(`${op}: scores must be [${boxes.shape[0]}] (one per box), got shape ${formatShape(s.shape)}`);
  }
  if (s.dtype !== boxes.dtype) throw new TypeError(`${op}: scores must have the boxes' dtype ${boxes.dtype}, got ${s.dtype}`);
  return s;
}

/** Kept indices of row-major boxes/scores on the host (the boxes already offset, for batchedNms). */
function keptOnHost(boxes: ArrayLike<number>, scores: ArrayLike<number>, iouThreshold: number, dtype: string): Int32Array {
  return nmsHost(boxes, scores, iouThreshold, rounding(dtype));
}

/** NMS of tensors already checked: the backend's kernel, else the host kernel. */
function keptIndices(boxes: Tensor, scores: Tensor, iouThreshold: number): Int32Array {
  const n = boxes.shape[0];
  if (n === 0) return new Int32Array(0);
  const b = contiguous(boxes.detach()), s = contiguous(scores.detach());
  const backend = b.backend;
  if (backend.nms) {
    const keep = empty([n], "int32", backend);
    const count = backend.nms(b.raw(), s.raw(), iouThreshold, keep.raw());
    if (count >= 0) {
      const all = keep.dataSync() as Int32Array;
      keep.dispose();
      return all.slice(0, count);
    }
    keep.dispose();
  }
  return keptOnHost(b.dataSync(), s.dataSync(), iouThreshold, b.dtype);
}

/**
 * Indices (int32) of the boxes [n, 4] (x1, y1, x2, y2) that NMS keeps, by descending score: a box
 * is dropped when its IoU with a higher-scoring kept box is greater than iouThreshold.
 */
export function nms(boxes: Tensor, scores: Tensor, iouThreshold: number): Tensor {
  const b = assertBoxes("nms", boxes);
  const s = checkScores("nms", b, scores);
  const thr = checkThreshold("nms", iouThreshold);
  return tensor(keptIndices(b, s, thr), { dtype: "int32", device: b.device });
}

/**
 * NMS within each category (`idxs` [n], integer class of each box): boxes of different classes
 * never suppress each other. As torchvision: up to 4,000 coordinates (1,000 boxes) it offsets
 * each class's boxes by class·(max coordinate + 1) and runs one NMS; above, one NMS per class,
 * merged by descending score. Returns int32 indices by descending score.
 */
export function batchedNms(boxes: Tensor, scores: Tensor, idxs: Tensor, iouThreshold: number): Tensor {
  const op = "batchedNms";
  const b = assertBoxes(op, boxes);
  const s = checkScores(op, b, scores);
  const thr = checkThreshold(op, iouThreshold);
  const ix = assertTensor(op, idxs, "idxs");
  const n = b.shape[0];
  if (ix.ndim !== 1 || ix.shape[0] !== n) throw new RangeError(`${op}: idxs must be [${n}] (one class per box), got shape ${formatShape(ix.shape)}`);
  const device = b.device;
  if (n === 0) return tensor(new Int32Array(0), { dtype: "int32", device });
  const classes = ix.dataSync();
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(classes[i])) throw new RangeError(`${op}: idxs[${i}] = ${classes[i]} is not an integer class`);
  }
  const boxData = b.dataSync(), scoreData = s.dataSync();
  const r = rounding(b.dtype);
  if (n * 4 <= 4000) {
    // The coordinate trick, in the boxes' dtype as torchvision computes it.
    let max = -Infinity;
    for (let i = 0; i < boxData.length; i++) max = Math.max(max, boxData[i]);
    const step = r(max + 1);
    const shifted = b.dtype === "float32" ? new Float32Array(boxData.length) : new Float64Array(boxData.length);
    for (let i = 0; i < n; i++) {
      const offset = r(classes[i] * step);
      for (let c = 0; c < 4; c++) shifted[4 * i + c] = r(boxData[4 * i + c] + offset);
    }
    const shiftedBoxes = tensor(shifted, { shape: [n, 4], dtype: b.dtype, device });
    const kept = keptIndices(shiftedBoxes, s, thr);
    shiftedBoxes.dispose();
    return tensor(kept, { dtype: "int32", device });
  }
  // One NMS per class; the union, ordered by descending score (ties: lower index first).
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = members.get(classes[i]);
    if (list) list.push(i);
    else members.set(classes[i], [i]);
  }
  const keepMask = new Uint8Array(n);
  for (const list of members.values()) {
    const sub = b.dtype === "float32" ? new Float32Array(4 * list.length) : new Float64Array(4 * list.length);
    const subScores = b.dtype === "float32" ? new Float32Array(list.length) : new Float64Array(list.length);
    list.forEach((i, k) => {
      sub.set(boxData.subarray(4 * i, 4 * i + 4), 4 * k);
      subScores[k] = scoreData[i];
    });
    const kb = tensor(sub, { shape: [list.length, 4], dtype: b.dtype, device });
    const ks = tensor(subScores, { shape: [list.length], dtype: b.dtype, device });
    for (const k of keptIndices(kb, ks, thr)) keepMask[list[k]] = 1;
    kb.dispose();
    ks.dispose();
  }
  const keptAll = [...keepMask.keys()].filter((i) => keepMask[i]);
  const keptScores = keptAll.map((i) => scoreData[i]);
  const order = descendingOrder(keptScores);
  return tensor(Int32Array.from(order, (k) => keptAll[k]), { dtype: "int32", device });
}
