// The four region similarities of selective search (Uijlings et al. 2013, section 3.2), each in
// [0, 1]: colour and texture are histogram intersections; size favours merging small regions
// first (so the grouping proceeds evenly over the image); fill favours regions that fit into each
// other (their joint bounding box wastes little). A strategy adds up some of them.

import type { Region } from "./region-features.js";

export type SimilarityMeasure = "colour" | "texture" | "size" | "fill";

/** Which measures a strategy adds (the paper's C, T, S, F). */
export interface SimilarityCombination {
  colour: boolean;
  texture: boolean;
  size: boolean;
  fill: boolean;
}

/** Parse the paper's notation, e.g. "C+T+S+F" or "F". */
export function combination(notation: string): SimilarityCombination {
  const parts = new Set(notation.split("+"));
  return { colour: parts.has("C"), texture: parts.has("T"), size: parts.has("S"), fill: parts.has("F") };
}

function intersection(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] < b[i] ? a[i] : b[i];
  return s;
}

export const colourSimilarity = (a: Region, b: Region): number => intersection(a.colour, b.colour);
export const textureSimilarity = (a: Region, b: Region): number => intersection(a.texture, b.texture);
export const sizeSimilarity = (a: Region, b: Region, imageSize: number): number => 1 - (a.size + b.size) / imageSize;

export function fillSimilarity(a: Region, b: Region, imageSize: number): number {
  const w = Math.max(a.maxX, b.maxX) - Math.min(a.minX, b.minX) + 1;
  const h = Math.max(a.maxY, b.maxY) - Math.min(a.minY, b.minY) + 1;
  return 1 - (w * h - a.size - b.size) / imageSize;
}

export function similarity(a: Region, b: Region, c: SimilarityCombination, imageSize: number): number {
  let s = 0;
  if (c.colour) s += colourSimilarity(a, b);
  if (c.texture) s += textureSimilarity(a, b);
  if (c.size) s += sizeSimilarity(a, b, imageSize);
  if (c.fill) s += fillSimilarity(a, b, imageSize);
  return s;
}
