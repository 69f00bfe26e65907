// Images for TensorBoard's image dashboard, as torch.utils.tensorboard builds them: values in
// [0, 1] scaled by 255 and truncated to bytes, one channel repeated to RGB, a batch laid out in a
// grid of up to 8 columns, encoded as PNG (pngjs).

import pngjs from "pngjs";
import type { Tensor } from "../../tensor/tensor.js";
import type { ImageValue } from "./event-proto.js";

/** An image as height x width x channels bytes (channels 3 or 4). */
interface RasterHWC { height: number; width: number; channels: 3 | 4; data: Uint8Array }

function checkFormat(owner: string, format: string, rank: number, shape: readonly number[]): string {
  const f = format.toUpperCase();
  const letters = rank === 4 ? "NCHW" : rank === 3 ? "CHW" : rank === 2 ? "HW" : null;
  if (letters === null) throw new RangeError(`${owner}: an image must have 2, 3 or 4 dimensions, got shape [${shape.join(", ")}]`);
  if (f.length !== rank || [...letters].some((c) => !f.includes(c))) {
    throw new RangeError(`${owner}: dataformats ${JSON.stringify(format)} does not fit an image of shape [${shape.join(", ")}]; use a permutation of ${letters}`);
  }
  return f;
}

/** Byte for a value in [0, 1]: torch multiplies by 255 and truncates (values outside are clamped). */
function toByte(v: number): number {
  const b = Math.trunc(v * 255);
  return b < 0 || Number.isNaN(b) ? 0 : b > 255 ? 255 : b;
}

/** A tensor in `dataformats` to one HWC raster (a batch becomes a grid). */
export function toRaster(owner: string, img: Tensor, dataformats: string): RasterHWC {
  const shape = img.shape;
  const f = checkFormat(owner, dataformats, shape.length, shape);
  const values = img.dataSync();
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const size = (c: string) => (f.includes(c) ? shape[f.indexOf(c)] : 1);
  const stride = (c: string) => (f.includes(c) ? strides[f.indexOf(c)] : 0);
  const [n, c, h, w] = [size("N"), size("C"), size("H"), size("W")];
  if (c !== 1 && c !== 3 && c !== 4) throw new RangeError(`${owner}: an image needs 1, 3 or 4 channels, got ${c} (shape [${shape.join(", ")}], dataformats ${JSON.stringify(dataformats)})`);
  if (n === 0 || h === 0 || w === 0) throw new RangeError(`${owner}: the image is empty (shape [${shape.join(", ")}])`);
  // torch's make_grid: up to 8 columns, images in row-major order, black where the grid is not full.
  const cols = Math.min(n, 8), rows = Math.ceil(n / cols);
  const channels: 3 | 4 = c === 4 ? 4 : 3;
  const height = h * rows, width = w * cols;
  const data = new Uint8Array(height * width * channels);
  const [sn, sc, sh, sw] = [stride("N"), stride("C"), stride("H"), stride("W")];
  for (let i = 0; i < n; i++) {
    const y0 = Math.floor(i / cols) * h, x0 = (i % cols) * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const out = ((y0 + y) * width + (x0 + x)) * channels;
        for (let ch = 0; ch < channels; ch++) {
          const src = i * sn + (c === 1 ? 0 : ch) * sc + y * sh + x * sw;
          data[out + ch] = toByte(values[src]);
        }
      }
    }
  }
  return { height, width, channels, data };
}

/** PNG bytes of a raster (RGB or RGBA). */
export function encodePng(r: RasterHWC): Uint8Array {
  const png = new pngjs.PNG({ width: r.width, height: r.height });
  for (let p = 0; p < r.width * r.height; p++) {
    png.data[p * 4] = r.data[p * r.channels];
    png.data[p * 4 + 1] = r.data[p * r.channels + 1];
    png.data[p * 4 + 2] = r.data[p * r.channels + 2];
    png.data[p * 4 + 3] = r.channels === 4 ? r.data[p * r.channels + 3] : 255;
  }
  return new Uint8Array(pngjs.PNG.sync.write(png, { colorType: r.channels === 4 ? 6 : 2 }));
}

/** The Summary.Image for a tensor: colorspace 3 (RGB) or 4 (RGBA). */
export function imageValue(owner: string, img: Tensor, dataformats: string): ImageValue {
  const r = toRaster(owner, img, dataformats);
  return { height: r.height, width: r.width, colorspace: r.channels, encodedImageString: encodePng(r) };
}
