// Decoded dataset files kept as bytes: the per-process cache behind mnist, fashionMnist and
// cifar10, and the conversion to an ImageDataset (float32 / 255, int32 labels).

import { statSync } from "node:fs";
import { activeBackend } from "../backend/registry.js";
import { dtypeOfArray } from "../core/dtype.js";
import { Storage } from "../tensor/storage.js";
import { Tensor } from "../tensor/tensor.js";
import { ImageDataset } from "./image-dataset.js";

/** Images as stored (one byte per value, [count, C, H, W] row-major) and their labels. */
export interface RawImages {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** [C, H, W] of one image. */
  imageShape: [number, number, number];
  /** Whether these are all the samples the files hold (not cut by a limit). */
  complete: boolean;
}

// Bytes (a quarter of the float32 tensors) so that the cache stays small; keyed by the files'
// paths, sizes and modification times so that replaced files are read again.
const cache = new Map<string, RawImages>();

/** Load through the cache: a cached read serves any limit up to what it holds. */
export function cachedRawImages(files: readonly string[], limit: number | undefined, load: (limit: number | undefined) => RawImages): RawImages {
  const key = files.map((f) => {
    const st = statSync(f);
    return `${f}\0${st.size}\0${st.mtimeMs}`;
  }).join("\0\0");
  const hit = cache.get(key);
  if (hit && (hit.complete || (limit !== undefined && hit.count >= limit))) return hit;
  const raw = load(limit);
  cache.set(key, raw);
  return raw;
}

/** Forget every cached dataset file (the memory is freed once no dataset refers to it). */
export function clearCache(): void {
  cache.clear();
}

/** Check each label is a class index, naming where the first bad one is. */
export function checkLabels(where: string, labels: Uint8Array, numClasses: number, describe: (index: number) => string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new RangeError(`${where}: ${describe(i)} has label ${labels[i]}; expected a class index 0..${numClasses - 1}`);
    }
  }
}

/** The first `limit` samples as float32 images in [0, 1] (value / 255) and int32 labels. */
export function toImageDataset(raw: RawImages, limit: number | undefined, classes: readonly string[]): ImageDataset {
  const n = Math.min(limit ?? raw.count, raw.count);
  const [c, h, w] = raw.imageShape;
  const size = n * c * h * w;
  const x = new Float32Array(size);
  const pixels = raw.pixels;
  for (let i = 0; i < size; i++) x[i] = pixels[i] / 255;
  const y = new Int32Array(n);
  y.set(raw.labels.subarray(0, n));
  return new ImageDataset(adoptArray(x, [n, c, h, w]), adoptArray(y, [n]), classes);
}

/** A tensor on the active backend that takes over `data` (nb.tensor would copy it once more). */
export function adoptArray(data: Float32Array | Int32Array, shape: number[]): Tensor {
  const backend = activeBackend();
  return new Tensor(new Storage(backend, backend.fromHost(data), dtypeOfArray(data), data.length), shape);
}
