// R-CNN's bounding-box regression parameterisation (Girshick et al. 2014, appendix C): a proposal
// P (centre px, py, size pw, ph) is moved toward a box G by
//   t = ((gx − px)/pw, (gy − py)/ph, log(gw/pw), log(gh/ph)),
// scale-invariant shifts of the centre and log-space changes of the size. Fast R-CNN regresses the
// same t divided by its standard deviations (weights (10, 10, 5, 5), torchvision's BoxCoder).
// Boxes are (x1, y1, x2, y2) in pixel edges, so a box's width is x2 − x1.

import { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../tensor/creation.js";
import { formatShape } from "../../core/shape.js";

export type BoxWeights = readonly [number, number, number, number];

/** Largest log-size change applied when decoding (torchvision's log(1000/16)): keeps exp finite. */
export const BOX_DELTA_CLIP = Math.log(1000 / 16);

function rowsOf(op: string, name: string, boxes: Tensor): Float32Array | Float64Array {
  if (!(boxes instanceof Tensor) || boxes.ndim !== 2 || boxes.shape[1] !== 4) {
    throw new RangeError(`${op}: ${name} must be [K, 4] (x1, y1, x2, y2), got ${boxes instanceof Tensor ? formatShape(boxes.shape) : typeof boxes}`);
  }
  return boxes.contiguous().dataSync() as Float32Array | Float64Array;
}

function checkWeights(op: string, w: BoxWeights): void {
  if (!Array.isArray(w) || w.length !== 4 || !w.every((v) => typeof v === "number" && v > 0 && Number.isFinite(v))) {
    throw new RangeError(`${op}: weights must be four positive numbers, got ${JSON.stringify(w)}`);
  }
}

/**
 * Regression targets [K, 4] that move `proposals` [K, 4] onto `boxes` [K, 4] (row k onto row k),
 * each coordinate multiplied by its weight. Proposals must have positive width and height.
 */
export function boxRegressionTargets(proposals: Tensor, boxes: Tensor, weights: BoxWeights = [1, 1, 1, 1]): Tensor {
  const op = "boxRegressionTargets";
  const p = rowsOf(op, "proposals", proposals), g = rowsOf(op, "boxes", boxes);
  checkWeights(op, weights);
  const K = proposals.shape[0];
  if (boxes.shape[0] !== K) throw new RangeError(`${op}: proposals ${formatShape(proposals.shape)} and boxes ${formatShape(boxes.shape)} must have the same number of rows`);
  const out = new Float32Array(4 * K);
  for (let k = 0; k < K; k++) {
    const pw = p[4 * k + 2] - p[4 * k], ph = p[4 * k + 3] - p[4 * k + 1];
    const gw = g[4 * k + 2] - g[4 * k], gh = g[4 * k + 3] - g[4 * k + 1];
    if (!(pw > 0 && ph > 0)) throw new RangeError(`${op}: proposal ${k} (${Array.from(p.subarray(4 * k, 4 * k + 4)).join(", ")}) has no area`);
    if (!(gw > 0 && gh > 0)) throw new RangeError(`${op}: box ${k} (${Array.from(g.subarray(4 * k, 4 * k + 4)).join(", ")}) has no area`);
    const px = p[4 * k] + pw / 2, py = p[4 * k + 1] + ph / 2, gx = g[4 * k] + gw / 2, gy = g[4 * k + 1] + gh / 2;
    out[4 * k] = (weights[0] * (gx - px)) / pw;
    out[4 * k + 1] = (weights[1] * (gy - py)) / ph;
    out[4 * k + 2] = weights[2] * Math.log(gw / pw);
    out[4 * k + 3] = weights[3] * Math.log(gh / ph);
  }
  return tensor(out, { shape: [K, 4] });
}

/**
 * The inverse: `proposals` [K, 4] moved by `deltas` [K, 4] (divided by the weights; log-size
 * changes clipped at log(1000/16)) → boxes [K, 4].
 */
export function applyBoxRegression(proposals: Tensor, deltas: Tensor, weights: BoxWeights = [1, 1, 1, 1]): Tensor {
  const op = "applyBoxRegression";
  const p = rowsOf(op, "proposals", proposals), d = rowsOf(op, "deltas", deltas);
  checkWeights(op, weights);
  const K = proposals.shape[0];
  if (deltas.shape[0] !== K) throw new RangeError(`${op}: proposals ${formatShape(proposals.shape)} and deltas ${formatShape(deltas.shape)} must have the same number of rows`);
  const out = new Float32Array(4 * K);
  for (let k = 0; k < K; k++) {
    const pw = p[4 * k + 2] - p[4 * k], ph = p[4 * k + 3] - p[4 * k + 1];
    const px = p[4 * k] + pw / 2, py = p[4 * k + 1] + ph / 2;
    const cx = px + (d[4 * k] / weights[0]) * pw, cy = py + (d[4 * k + 1] / weights[1]) * ph;
    const w = pw * Math.exp(Math.min(d[4 * k + 2] / weights[2], BOX_DELTA_CLIP));
    const h = ph * Math.exp(Math.min(d[4 * k + 3] / weights[3], BOX_DELTA_CLIP));
    out[4 * k] = cx - w / 2;
    out[4 * k + 1] = cy - h / 2;
    out[4 * k + 2] = cx + w / 2;
    out[4 * k + 3] = cy + h / 2;
  }
  return tensor(out, { shape: [K, 4] });
}
