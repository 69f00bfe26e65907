// nb.viz.featureMaps: what one layer of a model computes for one image — its output channels
// ("feature maps") side by side, each scaled by its own min and max, coloured with viridis
// (matplotlib's default) or gray. The model runs in eval mode without gradients, and only as far
// as the layer.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { tidy } from "../tensor/scope.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Module } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import { captureActivation } from "../transfer/capture.js";
import { COLORMAPS, type Colormap, gridToPng, minMaxScale, positiveInt, type Tile, writeImage } from "./image-grid.js";

export interface FeatureMapsOptions {
  /** Also write the PNG here (folders are created). */
  path?: string;
  /** Which image of a batch x (default 0). */
  index?: number;
  /** Pixels per activation (default: maps of about 64 pixels). */
  scale?: number;
  /** Maps per row (default: about square). */
  columns?: number;
  /** Pixels between maps (default 2). */
  gap?: number;
  /** Scale each channel by its own range (default) or all channels by the layer's. */
  normalize?: "channel" | "layer";
  /** Default "viridis". */
  colormap?: Colormap;
}

export const FEATURE_MAPS_OPTIONS = optionNames<FeatureMapsOptions>({ path: 1, index: 1, scale: 1, columns: 1, gap: 1, normalize: 1, colormap: 1 });

/** The activations [C, H, W] of `layerName` for one image, as a numeric array. */
function activationsFor(where: string, model: Module, x: Tensor, layerName: string, index: number): { shape: number[]; data: Float32Array } {
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  try {
    return tidy(() => noGrad(() => {
      const one = x.ndim === 3 ? x.unsqueeze(0) : x.slice(0, index, index + 1);
      const act = captureActivation(model, layerName, [one], "output", where);
      if (act.ndim !== 4) {
        throw new RangeError(`${where}: layer "${layerName}" gives activations of shape ${formatShape(act.shape)}; feature maps need [N, C, H, W] (a convolution, pooling, normalization or activation layer)`);
      }
      return { shape: act.shape.slice(1), data: Float32Array.from(act.contiguous().dataSync() as ArrayLike<number>) };
    }));
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}

/** The feature maps of one named layer for one image (x: [C, H, W] or a batch [N, C, H, W]) as PNG. */
export function featureMaps(model: Module, x: Tensor, layerName: string, opts: FeatureMapsOptions = {}): Uint8Array {
  const where = "featureMaps";
  if (!(model instanceof Module)) throw new TypeError(`${where}: model must be an nb.nn.Module`);
  if (!(x instanceof Tensor)) throw new TypeError(`${where}: x must be an image tensor [C, H, W] or a batch [N, C, H, W]`);
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${where}: x must be an image [C, H, W] or a batch [N, C, H, W], got ${formatShape(x.shape)}`);
  checkOptions(where, opts, FEATURE_MAPS_OPTIONS, { cmap: "colormap" });
  const index = opts.index ?? 0;
  const n = x.ndim === 4 ? x.shape[0] : 1;
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`${where}: index must be an integer from 0 to ${n - 1}, got ${index}`);
  const normalize = opts.normalize ?? "channel";
  if (normalize !== "channel" && normalize !== "layer") throw new RangeError(`${where}: normalize must be "channel" or "layer", got ${JSON.stringify(normalize)}`);
  const colormap = opts.colormap ?? "viridis";
  if (!COLORMAPS.includes(colormap)) throw new RangeError(`${where}: colormap must be one of ${COLORMAPS.join(", ")}, got ${JSON.stringify(colormap)}`);

  const { shape, data } = activationsFor(where, model, x, layerName, index);
  const [channels, h, w] = shape;
  if (channels * h * w === 0) throw new RangeError(`${where}: layer "${layerName}" gives empty activations ${formatShape([1, ...shape])}`);
  const plane = h * w;
  // A channel that is constant (a dead ReLU's zeros) is drawn at the bottom of the colour scale.
  if (normalize === "layer") minMaxScale(data, 0, data.length, 0);
  else for (let c = 0; c < channels; c++) minMaxScale(data, c * plane, plane, 0);
  const tiles: Tile[] = [];
  for (let c = 0; c < channels; c++) tiles.push({ height: h, width: w, channels: 1, data: data.subarray(c * plane, (c + 1) * plane) });

  const scale = opts.scale === undefined ? Math.max(1, Math.round(64 / Math.max(h, w))) : positiveInt(where, "scale", opts.scale, 256);
  const gap = opts.gap === undefined ? 2 : opts.gap === 0 ? 0 : positiveInt(where, "gap", opts.gap, 256);
  const columns = opts.columns === undefined ? undefined : positiveInt(where, "columns", opts.columns, 4096);
  const png = gridToPng(tiles, { columns, scale, gap, colormap }, where);
  if (opts.path !== undefined) writeImage(where, opts.path, png);
  return png;
}
