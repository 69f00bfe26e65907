// torchvision.ops.roi_align: average of bilinearly sampled points in each bin of each RoI (Mask
// R-CNN's RoI Align), differentiable in the feature map. The backend's kernel runs when it has one
// (native); otherwise the JavaScript kernel of host-kernels.ts does, on a host copy.

import type { RoIAlignParams } from "../backend/backend.js";
import { Tensor } from "../tensor/tensor.js";
import { tensor, zeros } from "../tensor/creation.js";
import { record } from "../autograd/node.js";
import { checkOptions } from "../core/options.js";
import { empty } from "../ops/util.js";
import { contiguous } from "../ops/view.js";
import { roiAlignBackwardHost, roiAlignHost, rounding, type RoIAlignGeometry } from "./host-kernels.js";
import { assertFeatureMap, pooledSize, toRois } from "./rois.js";

export interface RoIAlignOptions {
  /** Scale from box coordinates to feature-map coordinates (1/16 for a stride-16 map). */
  spatialScale?: number;
  /** Sample points per bin side; ≤ 0 (default -1): ceil(RoI size / output size), per RoI. */
  samplingRatio?: number;
  /** Shift boxes by −0.5 pixel so that pixel centres line up (torchvision's aligned=True). */
  aligned?: boolean;
}
export const ROI_ALIGN_OPTIONS = ["spatialScale", "samplingRatio", "aligned"] as const;

export function resolveAlignOptions(op: string, opts: RoIAlignOptions): { spatialScale: number; samplingRatio: number; aligned: boolean } {
  checkOptions(op, opts, ROI_ALIGN_OPTIONS);
  const spatialScale = opts.spatialScale ?? 1, samplingRatio = opts.samplingRatio ?? -1, aligned = opts.aligned ?? false;
  if (typeof spatialScale !== "number" || !(spatialScale > 0) || !Number.isFinite(spatialScale)) {
    throw new RangeError(`${op}: spatialScale must be a positive number, got ${String(spatialScale)}`);
  }
  if (!Number.isInteger(samplingRatio)) throw new RangeError(`${op}: samplingRatio must be an integer (≤ 0 for adaptive), got ${String(samplingRatio)}`);
  if (typeof aligned !== "boolean") throw new TypeError(`${op}: aligned must be a boolean, got ${String(aligned)}`);
  return { spatialScale, samplingRatio, aligned };
}

function geometry(x: Tensor, p: RoIAlignParams): RoIAlignGeometry {
  return { ...p, channels: x.shape[1], height: x.shape[2], width: x.shape[3] };
}

function alignForward(x: Tensor, rois: Tensor, p: RoIAlignParams): Tensor {
  const b = x.backend;
  const K = rois.shape[0];
  const shape = [K, x.shape[1], p.pooledHeight, p.pooledWidth];
  const out = empty(shape, x.dtype, b);
  if (b.roiAlign?.(x.raw(), rois.raw(), p, out.raw())) return out;
  out.dispose();
  const host = x.dtype === "float32" ? new Float32Array(shape.reduce((a, s) => a * s, 1)) : new Float64Array(shape.reduce((a, s) => a * s, 1));
  roiAlignHost(x.dataSync(), rois.dataSync(), K, geometry(x, p), host, rounding(x.dtype));
  return tensor(host, { shape, dtype: x.dtype, device: x.device });
}

function alignBackward(gy: Tensor, rois: Tensor, p: RoIAlignParams, xShape: readonly number[]): Tensor {
  const b = gy.backend;
  const g = contiguous(gy);
  const gx = zeros(xShape, { dtype: gy.dtype, device: gy.device });
  if (b.roiAlignBackward?.(g.raw(), rois.raw(), p, gx.raw())) return gx;
  const host = gx.dataSync() as Float32Array | Float64Array;
  gx.dispose();
  const geo: RoIAlignGeometry = { ...p, channels: xShape[1], height: xShape[2], width: xShape[3] };
  roiAlignBackwardHost(g.dataSync(), rois.dataSync(), rois.shape[0], geo, host, rounding(gy.dtype));
  return tensor(host, { shape: xShape, dtype: gy.dtype, device: gy.device });
}

/**
 * RoI Align of x [N, C, H, W] over `boxes` ([K, 5] rows (batchIndex, x1, y1, x2, y2), or one
 * [L, 4] tensor per image) → [K, C, oh, ow], as torchvision.ops.roi_align. Differentiable in x.
 */
export function roiAlign(x: Tensor, boxes: Tensor | readonly Tensor[], outputSize: number | readonly [number, number], opts: RoIAlignOptions = {}): Tensor {
  const op = "roiAlign";
  const input = assertFeatureMap(op, x);
  const [pooledHeight, pooledWidth] = pooledSize(op, outputSize);
  const o = resolveAlignOptions(op, opts);
  const rois = toRois(op, boxes, input);
  const xc = contiguous(input);
  const p: RoIAlignParams = { pooledHeight, pooledWidth, ...o };
  const out = alignForward(xc, rois, p);
  const xShape = [...xc.shape];
  return record("RoiAlignBackward", [xc], out, (g, [r]) => [alignBackward(g, r, p, xShape)], [rois]);
}
