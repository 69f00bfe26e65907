// What fit/evaluate accept as data — a DataLoader, a Dataset, or {x, y} tensors — turned into
// DataLoaders, plus Keras' validationSplit (the last fraction of the samples, before shuffling).

import { Tensor } from "../tensor/tensor.js";
import { DataLoader } from "../data/dataloader.js";
import { type Dataset, Subset, TensorDataset } from "../data/dataset.js";

export type DataSource = DataLoader | Dataset | { x: Tensor; y: Tensor };

export function toDataset(src: DataSource, where: string): Dataset {
  if (src instanceof DataLoader) return src.dataset;
  if (src && typeof (src as Dataset).get === "function" && typeof (src as Dataset).length === "number") return src as Dataset;
  const xy = src as { x?: unknown; y?: unknown };
  if (xy && xy.x instanceof Tensor && xy.y instanceof Tensor) return new TensorDataset(xy.x, xy.y);
  throw new TypeError(`${where}: data must be a DataLoader, a Dataset, or { x, y } tensors`);
}

export function toLoader(src: DataSource, opts: { batchSize: number; shuffle: boolean; seed?: number }, where: string): DataLoader {
  if (src instanceof DataLoader) return src;
  return new DataLoader(toDataset(src, where), { batchSize: opts.batchSize, shuffle: opts.shuffle, seed: opts.seed });
}

/** Keras' validationSplit: hold out the last `fraction` of the samples. */
export function splitTail(ds: Dataset, fraction: number): [Dataset, Dataset] {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`fit: validationSplit must be between 0 and 1 (exclusive), got ${fraction}`);
  const n = ds.length;
  const nVal = Math.floor(n * fraction);
  if (nVal === 0 || nVal === n) throw new RangeError(`fit: validationSplit ${fraction} of ${n} samples leaves an empty training or validation set`);
  const idx = Array.from({ length: n }, (_, i) => i);
  return [new Subset(ds, idx.slice(0, n - nVal)), new Subset(ds, idx.slice(n - nVal))];
}
