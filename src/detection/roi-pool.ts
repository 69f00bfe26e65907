// torchvision.ops.roi_pool: Fast R-CNN's RoI max pooling (box corners rounded to the feature
// grid, each bin's maximum), differentiable in the feature map: the gradient of each bin goes to
// the position of its maximum. Backend kernel when there is one (native), else host-kernels.ts.

import type { RoIPoolParams } from "../backend/backend.js";
import { Tensor } from "../tensor/tensor.js";
import { tensor, zeros } from "../tensor/creation.js";
import { record } from "../autograd/node.js";
import { empty } from "../ops/util.js";
import { contiguous } from "../ops/view.js";
import { roiPoolBackwardHost, roiPoolHost, rounding, type RoIPoolGeometry } from "./host-kernels.js";
import { assertFeatureMap, pooledSize, toRois } from "./rois.js";

export function checkSpatialScale(op: string, spatialScale: unknown): number {
  if (typeof spatialScale !== "number" || !(spatialScale > 0) || !Number.isFinite(spatialScale)) {
    throw new RangeError(`${op}: spatialScale must be a positive number, got ${String(spatialScale)}`);
  }
  return spatialScale;
}

function geometry(shape: readonly number[], p: RoIPoolParams): RoIPoolGeometry {
  return { ...p, channels: shape[1], height: shape[2], width: shape[3] };
}

function poolForward(x: Tensor, rois: Tensor, p: RoIPoolParams): [Tensor, Tensor] {
  const b = x.backend;
  const K = rois.shape[0];
  const shape = [K, x.shape[1], p.pooledHeight, p.pooledWidth];
  const out = empty(shape, x.dtype, b), argmax = empty(shape, "int32", b);
  if (b.roiPool?.(x.raw(), rois.raw(), p, out.raw(), argmax.raw())) return [out, argmax];
  out.dispose();
  argmax.dispose();
  const size = shape.reduce((a, s) => a * s, 1);
  const host = x.dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
  const hostArgmax = new Int32Array(size);
  roiPoolHost(x.dataSync(), rois.dataSync(), K, geometry(x.shape, p), host, hostArgmax, rounding(x.dtype));
  return [tensor(host, { shape, dtype: x.dtype, device: x.device }), tensor(hostArgmax, { shape, dtype: "int32", device: x.device })];
}

function poolBackward(gy: Tensor, rois: Tensor, argmax: Tensor, p: RoIPoolParams, xShape: readonly number[]): Tensor {
  const b = gy.backend;
  const g = contiguous(gy);
  const gx = zeros(xShape, { dtype: gy.dtype, device: gy.device });
  if (b.roiPoolBackward?.(g.raw(), rois.raw(), argmax.raw(), gx.raw())) return gx;
  const host = gx.dataSync() as Float32Array | Float64Array;
  gx.dispose();
  roiPoolBackwardHost(g.dataSync(), rois.dataSync(), argmax.dataSync() as Int32Array, rois.shape[0], geometry(xShape, p), host, rounding(gy.dtype));
  return tensor(host, { shape: xShape, dtype: gy.dtype, device: gy.device });
}

/**
 * RoI max pooling of x [N, C, H, W] over `boxes` ([K, 5] or one [L, 4] tensor per image) →
 * [K, C, oh, ow], as torchvision.ops.roi_pool. Differentiable in x.
 */
export function roiPool(x: Tensor, boxes: Tensor | readonly Tensor[], outputSize: number | readonly [number, number], spatialScale = 1): Tensor {
  const op = "roiPool";
  const input = assertFeatureMap(op, x);
  const [pooledHeight, pooledWidth] = pooledSize(op, outputSize);
  const p: RoIPoolParams = { pooledHeight, pooledWidth, spatialScale: checkSpatialScale(op, spatialScale) };
  const rois = toRois(op, boxes, input);
  const xc = contiguous(input);
  const [out, argmax] = poolForward(xc, rois, p);
  const xShape = [...xc.shape];
  record("RoiPoolBackward", [xc], out, (g, [r, am]) => [poolBackward(g, r, am, p, xShape)], [rois, argmax]);
  if (!out.requiresGrad) argmax.dispose();
  return out;
}
