// torchvision.ops.RoIAlign and RoIPool: the functional ops as layers (no parameters).

import { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import { roiAlign, resolveAlignOptions, type RoIAlignOptions } from "./roi-align.js";
import { checkSpatialScale, roiPool } from "./roi-pool.js";
import { pooledSize } from "./rois.js";

/** torchvision.ops.RoIAlign(outputSize, {spatialScale, samplingRatio, aligned}). */
export class RoIAlign extends Module {
  readonly outputSize: [number, number];
  readonly spatialScale: number;
  readonly samplingRatio: number;
  readonly aligned: boolean;
  constructor(outputSize: number | readonly [number, number], opts: RoIAlignOptions = {}) {
    super();
    this.outputSize = pooledSize("RoIAlign", outputSize);
    const o = resolveAlignOptions("RoIAlign", opts);
    this.spatialScale = o.spatialScale;
    this.samplingRatio = o.samplingRatio;
    this.aligned = o.aligned;
  }
  forward(x: Tensor, boxes: Tensor | readonly Tensor[]): Tensor {
    return roiAlign(x, boxes, this.outputSize, { spatialScale: this.spatialScale, samplingRatio: this.samplingRatio, aligned: this.aligned });
  }
  override extraRepr(): string {
    return `outputSize=[${this.outputSize.join(", ")}], spatialScale=${this.spatialScale}, samplingRatio=${this.samplingRatio}, aligned=${this.aligned}`;
  }
}

/** torchvision.ops.RoIPool(outputSize, spatialScale). */
export class RoIPool extends Module {
  readonly outputSize: [number, number];
  readonly spatialScale: number;
  constructor(outputSize: number | readonly [number, number], spatialScale = 1) {
    super();
    this.outputSize = pooledSize("RoIPool", outputSize);
    this.spatialScale = checkSpatialScale("RoIPool", spatialScale);
  }
  forward(x: Tensor, boxes: Tensor | readonly Tensor[]): Tensor {
    return roiPool(x, boxes, this.outputSize, this.spatialScale);
  }
  override extraRepr(): string {
    return `outputSize=[${this.outputSize.join(", ")}], spatialScale=${this.spatialScale}`;
  }
}
