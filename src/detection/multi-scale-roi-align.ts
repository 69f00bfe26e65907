// torchvision.ops.MultiScaleRoIAlign: RoI Align over the levels of a feature pyramid, each box on
// the level its size calls for (FPN paper, eq. 1): k = floor(4 + log2(√area / 224) + 1e-6),
// clamped to the levels present. Each level's scale (feature size / image size, a power of two)
// is inferred from the largest image, as torchvision does.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { Module } from "../nn/module.js";
import { checkOptions } from "../core/options.js";
import { assertTensor } from "../ops/util.js";
import { cat, indexSelect } from "../ops/indexing.js";
import { tensor } from "../tensor/creation.js";
import { roiAlign } from "./roi-align.js";
import { pooledSize } from "./rois.js";

export interface MultiScaleRoIAlignOptions {
  /** Names of the feature maps to pool from, e.g. ["0", "1", "2", "3"] (FPN's outputs). */
  featmapNames: string[];
  outputSize: number | [number, number];
  samplingRatio: number;
  /** The box size mapped to canonicalLevel (default 224, ImageNet's crop). */
  canonicalScale?: number;
  canonicalLevel?: number;
}
const OPTIONS = ["featmapNames", "outputSize", "samplingRatio", "canonicalScale", "canonicalLevel"] as const;

/** torchvision's _infer_scale: 2^round(log2(feature height / image height)) (float32, round half to even). */
function inferScale(featureHeight: number, imageHeight: number): number {
  const approx = Math.fround(featureHeight / imageHeight);
  const l = Math.fround(Math.log2(approx));
  const rounded = Math.abs(l - Math.trunc(l)) === 0.5 ? 2 * Math.round(l / 2) : Math.round(l);
  return 2 ** rounded;
}

export class MultiScaleRoIAlign extends Module {
  readonly featmapNames: string[];
  readonly outputSize: [number, number];
  readonly samplingRatio: number;
  readonly canonicalScale: number;
  readonly canonicalLevel: number;

  constructor(opts: MultiScaleRoIAlignOptions) {
    super();
    checkOptions("MultiScaleRoIAlign", opts, OPTIONS);
    if (!Array.isArray(opts.featmapNames) || opts.featmapNames.length === 0 || !opts.featmapNames.every((n) => typeof n === "string")) {
      throw new TypeError(`MultiScaleRoIAlign: featmapNames must be a non-empty array of strings, got ${JSON.stringify(opts.featmapNames)}`);
    }
    this.featmapNames = [...opts.featmapNames];
    this.outputSize = pooledSize("MultiScaleRoIAlign", opts.outputSize);
    if (!Number.isInteger(opts.samplingRatio)) throw new RangeError(`MultiScaleRoIAlign: samplingRatio must be an integer, got ${String(opts.samplingRatio)}`);
    this.samplingRatio = opts.samplingRatio;
    this.canonicalScale = opts.canonicalScale ?? 224;
    this.canonicalLevel = opts.canonicalLevel ?? 4;
  }

  /**
   * features: name → [N, C, H, W] (those in featmapNames are used, in the record's order);
   * proposals: one [L, 4] box tensor per image, in image coordinates; imageShapes: each image's
   * [height, width] before batching. Returns [ΣL, C, oh, ow], boxes in image order.
   */
  forward(features: Record<string, Tensor>, proposals: readonly Tensor[], imageShapes: readonly (readonly [number, number])[]): Tensor {
    const op = "MultiScaleRoIAlign";
    if (typeof features !== "object" || features === null) throw new TypeError(`${op}: features must be a record of feature maps`);
    for (const name of this.featmapNames) if (!(name in features)) throw new RangeError(`${op}: no feature map named "${name}" (got ${Object.keys(features).join(", ")})`);
    const maps = Object.keys(features).filter((k) => this.featmapNames.includes(k)).map((k) => assertTensor(op, features[k], `features["${k}"]`));
    const [first] = maps;
    for (const [i, m] of maps.entries()) {
      if (m.ndim !== 4) throw new RangeError(`${op}: feature maps must be [N, C, H, W], got shape ${formatShape(m.shape)}`);
      if (m.shape[1] !== first.shape[1] || m.shape[0] !== first.shape[0]) {
        throw new RangeError(`${op}: feature maps must share N and C, got ${formatShape(first.shape)} and ${formatShape(m.shape)} (level ${i})`);
      }
    }
    if (!Array.isArray(proposals) || proposals.length !== first.shape[0]) {
      throw new RangeError(`${op}: expected one proposal tensor per image (${first.shape[0]}), got ${Array.isArray(proposals) ? proposals.length : typeof proposals}`);
    }
    if (!Array.isArray(imageShapes) || imageShapes.length === 0) throw new RangeError(`${op}: imageShapes must list each image's [height, width]`);
    const maxH = Math.max(...imageShapes.map((s) => s[0]));
    const scales = maps.map((m) => inferScale(m.shape[2], maxH));
    const align = (x: Tensor, boxes: Tensor | readonly Tensor[], spatialScale: number): Tensor =>
      roiAlign(x, boxes, this.outputSize, { spatialScale, samplingRatio: this.samplingRatio });
    if (maps.length === 1) return align(maps[0], proposals, scales[0]);

    const levels = this.mapLevels(proposals, scales);
    // Each level pools its boxes; the results, concatenated level by level, are put back in box order.
    const perLevel: number[][] = maps.map(() => []);
    levels.forEach((l, k) => perLevel[l].push(k));
    const counts = proposals.map((p) => p.shape[0]);
    const imageOf = counts.flatMap((c, i) => new Array<number>(c).fill(i));
    const all = cat(proposals.map((p) => p.detach().to(first.dtype)), 0).dataSync();
    const parts = maps.map((m, l) => {
      const rows = perLevel[l];
      const rois = new Float64Array(rows.length * 5);
      rows.forEach((k, j) => {
        rois[5 * j] = imageOf[k];
        for (let c = 0; c < 4; c++) rois[5 * j + 1 + c] = all[4 * k + c];
      });
      return align(m, tensor(rois, { shape: [rows.length, 5], dtype: m.dtype, device: m.device }), scales[l]);
    });
    const order = perLevel.flat();
    const inverse = new Int32Array(order.length);
    order.forEach((k, j) => (inverse[k] = j));
    return indexSelect(cat(parts, 0), 0, tensor(inverse, { dtype: "int32", device: first.device }));
  }

  /** The pyramid level (0 = the first map) of every box, torchvision's LevelMapper in float32. */
  private mapLevels(proposals: readonly Tensor[], scales: number[]): number[] {
    const f = Math.fround;
    const kMin = Math.trunc(f(-Math.log2(scales[0]))), kMax = Math.trunc(f(-Math.log2(scales[scales.length - 1])));
    const levels: number[] = [];
    for (const p of proposals) {
      const d = p.detach().to("float32").dataSync();
      for (let k = 0; k < p.shape[0]; k++) {
        const area = f(f(d[4 * k + 2] - d[4 * k]) * f(d[4 * k + 3] - d[4 * k + 1]));
        const s = f(Math.sqrt(area));
        const lvl = Math.floor(f(f(this.canonicalLevel + f(Math.log2(f(s / this.canonicalScale)))) + f(1e-6)));
        levels.push(Math.min(Math.max(lvl, kMin), kMax) - kMin);
      }
    }
    return levels;
  }

  override extraRepr(): string {
    return `featmapNames=${JSON.stringify(this.featmapNames)}, outputSize=[${this.outputSize.join(", ")}], samplingRatio=${this.samplingRatio}`;
  }
}
