// The two pictures `nabla train --out` adds to a run: the first convolution's filters and its
// feature maps for one sample image.

import { join } from "node:path";
import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import { Conv2d } from "../nn/conv.js";
import { filters } from "./filters.js";
import { featureMaps } from "./feature-maps.js";

/** The first Conv2d in namedModules() order, or null. */
export function firstConv(model: Module): { name: string; conv: Conv2d } | null {
  const hit = model.namedModules().find(([, m]) => m instanceof Conv2d);
  return hit ? { name: hit[0], conv: hit[1] as Conv2d } : null;
}

/**
 * Write `filters.png` (the first convolution's kernels) and `feature-maps.png` (its activations
 * for `image`, [C, H, W]) into dir. Returns the file names written: none for a model without a
 * Conv2d.
 */
export function writeFirstConvPictures(model: Module, image: Tensor, dir: string): string[] {
  const first = firstConv(model);
  if (!first) return [];
  filters(first.conv, { path: join(dir, "filters.png") });
  featureMaps(model, image, first.name, { path: join(dir, "feature-maps.png") });
  return ["filters.png", "feature-maps.png"];
}
