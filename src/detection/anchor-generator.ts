// AnchorGenerator (torchvision.models.detection.anchor_utils): for feature map i, sizes[i] ×
// aspectRatios[i] anchor boxes centred on every cell (cell (y, x) shifted by the map's stride in
// the padded image), in the order torchvision lists them: row-major cells, then the cell anchors.
// aspect ratio = height / width; a base anchor is (−w/2, −h/2, w/2, h/2) rounded half to even
// (torch.round), computed in float32 as torchvision does.

import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { Module } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import { f32, type ImageList } from "./image-list.js";

export interface AnchorGeneratorOptions {
  /** Anchor sizes (sqrt of the area) per feature map; default [[128, 256, 512]]. Plain numbers mean one size per map. */
  sizes?: readonly (readonly number[])[] | readonly number[];
  /** Height/width ratios per feature map (one list for all maps, or one per map); default [0.5, 1, 2]. */
  aspectRatios?: readonly (readonly number[])[] | readonly number[];
}

export const ANCHOR_GENERATOR_OPTIONS = optionNames<AnchorGeneratorOptions>({ sizes: 1, aspectRatios: 1 });

/** torch.round: halves go to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The A base anchors [x1, y1, x2, y2]·A of one feature map, centred on (0, 0). */
export function generateCellAnchors(scales: readonly number[], aspectRatios: readonly number[]): Float32Array {
  const out = new Float32Array(scales.length * aspectRatios.length * 4);
  let k = 0;
  for (const ar of aspectRatios) {
    const h = f32(Math.sqrt(f32(ar)));
    const w = f32(1 / h);
    for (const s of scales) {
      const ws = f32(w * f32(s)), hs = f32(h * f32(s));
      for (const v of [-ws, -hs, ws, hs]) out[k++] = roundHalfEven(f32(v / 2));
    }
  }
  return out;
}

export class AnchorGenerator extends Module {
  readonly sizes: number[][];
  readonly aspectRatios: number[][];
  private readonly _cellAnchors: Float32Array[];

  constructor(opts: AnchorGeneratorOptions = {}) {
    super();
    checkOptions("AnchorGenerator", opts, ANCHOR_GENERATOR_OPTIONS, { aspect_ratios: "aspectRatios" });
    const sizes = opts.sizes ?? [[128, 256, 512]];
    this.sizes = sizes.map((s) => (typeof s === "number" ? [s] : [...s]));
    const ratios = opts.aspectRatios ?? [0.5, 1, 2];
    this.aspectRatios = typeof ratios[0] === "number"
      ? this.sizes.map(() => [...(ratios as readonly number[])])
      : (ratios as readonly (readonly number[])[]).map((r) => [...r]);
    if (this.aspectRatios.length !== this.sizes.length) {
      throw new RangeError(`AnchorGenerator: sizes has ${this.sizes.length} feature maps but aspectRatios has ${this.aspectRatios.length}; give one list per feature map`);
    }
    for (const [i, list] of [...this.sizes.entries(), ...this.aspectRatios.entries()]) {
      if (list.length === 0 || !list.every((v) => Number.isFinite(v) && v > 0)) {
        throw new RangeError(`AnchorGenerator: sizes and aspect ratios must be non-empty lists of positive numbers, got ${JSON.stringify(list)} for feature map ${i}`);
      }
    }
    this._cellAnchors = this.sizes.map((s, i) => generateCellAnchors(s, this.aspectRatios[i]));
  }

  /** Anchors per location of each feature map (torchvision's num_anchors_per_location). */
  numAnchorsPerLocation(): number[] {
    return this.sizes.map((s, i) => s.length * this.aspectRatios[i].length);
  }

  /** The cell anchors of feature map `level` as [A, 4]. */
  cellAnchors(level: number): Tensor {
    const a = this._cellAnchors[level];
    return tensor(a.slice(), { shape: [a.length / 4, 4] });
  }

  /** The anchors of every feature map in a row, as flat float32 (the same for every image of the batch). */
  gridAnchors(gridSizes: readonly (readonly [number, number])[], strides: readonly (readonly [number, number])[]): Float32Array {
    let total = 0;
    gridSizes.forEach(([h, w], i) => (total += h * w * this._cellAnchors[i].length));
    const out = new Float32Array(total);
    let k = 0;
    gridSizes.forEach(([gh, gw], i) => {
      const base = this._cellAnchors[i];
      const [sy, sx] = strides[i];
      for (let y = 0; y < gh; y++) {
        for (let x = 0; x < gw; x++) {
          const shift = [x * sx, y * sy, x * sx, y * sy];
          for (let j = 0; j < base.length; j++) out[k++] = base[j] + shift[j % 4];
        }
      }
    });
    return out;
  }

  /** One [sum of H·W·A, 4] anchor tensor per image of the batch. */
  forward(images: ImageList, featureMaps: readonly Tensor[]): Tensor[] {
    if (featureMaps.length !== this._cellAnchors.length) {
      throw new RangeError(
        `AnchorGenerator: got ${featureMaps.length} feature maps but sizes/aspectRatios describe ${this._cellAnchors.length}; ` +
          "give one list of sizes and of aspect ratios per feature map",
      );
    }
    const [imageH, imageW] = images.tensors.shape.slice(-2);
    const grids = featureMaps.map((f) => [f.shape[f.ndim - 2], f.shape[f.ndim - 1]] as [number, number]);
    const strides = grids.map(([gh, gw]) => [Math.floor(imageH / gh), Math.floor(imageW / gw)] as [number, number]);
    const flat = this.gridAnchors(grids, strides);
    const device = featureMaps[0].device;
    return images.imageSizes.map(() => tensor(flat.slice(), { shape: [flat.length / 4, 4], device }));
  }
}
