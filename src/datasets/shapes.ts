// nb.datasets.shapes: synthetic object-detection images generated on the fly (nothing on disk):
// a noisy, shaded background with 1..maxObjects flat coloured shapes (rectangles, circles,
// triangles) that do not overlap, each with its tight box and its class. Sample i depends only on
// (seed, i): its random numbers are Philox's at counter (draw, i, stream), so any subset, order
// or worker sees the same images.

import { tensor } from "../tensor/creation.js";
import { checkOptions, describe, optionNames } from "../core/options.js";
import { philoxBlock } from "../core/philox.js";
import { checkIndex } from "../data/dataset.js";
import type { DetectionDataset, DetectionSample } from "../data/detection-batches.js";

export type ShapeKind = "rectangle" | "circle" | "triangle";
export const SHAPE_KINDS: readonly ShapeKind[] = ["rectangle", "circle", "triangle"];

export interface ShapesOptions {
  /** Number of images. */
  n: number;
  /** Side of the square images in pixels. Default 128. */
  imageSize?: number;
  /** Each image has 1..maxObjects shapes (fewer when they do not fit without overlapping). Default 4. */
  maxObjects?: number;
  /** Smallest shape side in pixels. Default max(4, imageSize/8). */
  minSize?: number;
  /** Largest shape side in pixels. Default imageSize/3. */
  maxSize?: number;
  /** The shape kinds to draw, in label order (label 1 is the first). Default all three. */
  classes?: readonly ShapeKind[];
  /** Default 0. */
  seed?: number;
}

export const SHAPES_OPTIONS = optionNames<ShapesOptions>({ n: 1, imageSize: 1, maxObjects: 1, minSize: 1, maxSize: 1, classes: 1, seed: 1 });

/** Placement tries per shape before it is left out. */
const PLACEMENT_TRIES = 30;
/** Amplitude of the per-pixel noise over the whole image (shapes included). */
const NOISE = 0.08;

/** Uniform numbers of one (seed, sample, stream): Philox blocks at counters (0, 1, 2, ...). */
class SampleRandom {
  private readonly words = new Uint32Array(4);
  private used = 4;
  private block = 0;
  constructor(private readonly seed: number, private readonly sample: number, private readonly stream: number) {}

  next(): number {
    if (this.used === 4) {
      philoxBlock(this.block++, this.sample, this.stream, 0, this.seed >>> 0, Math.floor(this.seed / 2 ** 32) >>> 0, this.words);
      this.used = 0;
    }
    return (this.words[this.used++] >>> 8) / 16777216;
  }

  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  int(lo: number, hi: number): number {
    return Math.min(hi, lo + Math.floor((hi - lo + 1) * this.next()));
  }
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (k: number): number => {
    const x = (k + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(x, 4 - x, 1));
  };
  return [f(5), f(3), f(1)];
}

/** Whether the pixel centred at (px, py) lies inside a shape of `kind` in the box (x, y, w, h). */
function inside(kind: ShapeKind, px: number, py: number, x: number, y: number, w: number, h: number): boolean {
  if (kind === "rectangle") return true;
  const u = (px - x) / w, v = (py - y) / h; // in [0, 1] over the box
  if (kind === "circle") return (u - 0.5) ** 2 + (v - 0.5) ** 2 <= 0.25;
  // Apex at the top middle, base along the bottom.
  return Math.abs(u - 0.5) <= v / 2;
}

export class ShapesDataset implements DetectionDataset {
  readonly length: number;
  readonly imageSize: number;
  readonly maxObjects: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly seed: number;
  readonly kinds: readonly ShapeKind[];
  /** Class names by label: "__background__" (label 0), then the shape kinds. */
  readonly classes: readonly string[];

  constructor(opts: ShapesOptions) {
    const op = "shapes";
    if (opts === null || typeof opts !== "object") throw new TypeError(`${op}: expected options { n, imageSize?, ... }, got ${describe(opts)}`);
    checkOptions(op, opts, SHAPES_OPTIONS);
    const positiveInt = (name: string, v: unknown, min = 1): number => {
      if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new RangeError(`${op}: ${name} must be an integer >= ${min}, got ${describe(v)}`);
      return v;
    };
    this.length = positiveInt("n", opts.n, 0);
    this.imageSize = positiveInt("imageSize", opts.imageSize ?? 128, 8);
    this.maxObjects = positiveInt("maxObjects", opts.maxObjects ?? 4);
    this.minSize = positiveInt("minSize", opts.minSize ?? Math.max(4, Math.floor(this.imageSize / 8)), 2);
    this.maxSize = positiveInt("maxSize", opts.maxSize ?? Math.max(this.minSize, Math.floor(this.imageSize / 3)), 2);
    if (this.maxSize < this.minSize || this.maxSize > this.imageSize) {
      throw new RangeError(`${op}: need minSize <= maxSize <= imageSize, got minSize ${this.minSize}, maxSize ${this.maxSize}, imageSize ${this.imageSize}`);
    }
    this.seed = opts.seed ?? 0;
    if (!Number.isSafeInteger(this.seed) || this.seed < 0) throw new RangeError(`${op}: seed must be a non-negative integer, got ${describe(opts.seed)}`);
    const kinds = opts.classes ?? SHAPE_KINDS;
    if (!Array.isArray(kinds) || kinds.length === 0 || new Set(kinds).size !== kinds.length || kinds.some((k) => !SHAPE_KINDS.includes(k))) {
      throw new RangeError(`${op}: classes must be distinct names among ${SHAPE_KINDS.map((k) => `"${k}"`).join(", ")}, got ${describe(kinds)}`);
    }
    this.kinds = [...kinds];
    this.classes = ["__background__", ...kinds];
  }

  get(index: number): DetectionSample {
    checkIndex("shapes", index, this.length);
    const size = this.imageSize, plane = size * size;
    const rand = new SampleRandom(this.seed, index, 0);
    const pixels = new Float32Array(3 * plane);
    this.paintBackground(pixels, rand);

    const count = rand.int(1, this.maxObjects);
    const boxes: number[] = [];
    const labels: number[] = [];
    const taken: [number, number, number, number][] = [];
    for (let o = 0; o < count; o++) {
      const label = rand.int(1, this.kinds.length);
      const kind = this.kinds[label - 1];
      const colour = hsvToRgb(rand.next(), rand.range(0.6, 1), rand.range(0.65, 1));
      for (let t = 0; t < PLACEMENT_TRIES; t++) {
        const w = rand.int(this.minSize, this.maxSize), h = kind === "circle" ? w : rand.int(this.minSize, this.maxSize);
        const x = rand.int(0, size - w), y = rand.int(0, size - h);
        // One free pixel between shapes, so each box holds one shape.
        if (taken.some(([a, b, c, d]) => x <= c && a <= x + w && y <= d && b <= y + h)) continue;
        const box = this.paintShape(pixels, kind, colour, x, y, w, h);
        if (box === null) break;
        taken.push([x, y, x + w, y + h]);
        boxes.push(...box);
        labels.push(label);
        break;
      }
    }
    const noise = new SampleRandom(this.seed, index, 1);
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i] + (noise.next() - 0.5) * NOISE;
      pixels[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    return [
      tensor(pixels, { shape: [3, size, size] }),
      {
        boxes: tensor(Float32Array.from(boxes), { shape: [labels.length, 4] }),
        labels: tensor(Int32Array.from(labels), { shape: [labels.length], dtype: "int32" }),
      },
    ];
  }

  /** A pale vertical shading between two greyish colours, with faint horizontal stripes as texture. */
  private paintBackground(pixels: Float32Array, rand: SampleRandom): void {
    const size = this.imageSize, plane = size * size;
    const top = hsvToRgb(rand.next(), rand.range(0, 0.25), rand.range(0.3, 0.7));
    const bottom = hsvToRgb(rand.next(), rand.range(0, 0.25), rand.range(0.3, 0.7));
    const period = rand.range(4, 12);
    for (let y = 0; y < size; y++) {
      const a = y / Math.max(1, size - 1), stripe = 0.03 * Math.sin((2 * Math.PI * y) / period);
      for (let c = 0; c < 3; c++) pixels.fill((1 - a) * top[c] + a * bottom[c] + stripe, c * plane + y * size, c * plane + (y + 1) * size);
    }
  }

  /** Paint one shape; its tight box in pixel edges (x1, y1, x2, y2), or null if no pixel was drawn. */
  private paintShape(pixels: Float32Array, kind: ShapeKind, colour: [number, number, number], x: number, y: number, w: number, h: number): number[] | null {
    const size = this.imageSize, plane = size * size;
    let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    for (let py = y; py < y + h; py++) {
      for (let px = x; px < x + w; px++) {
        if (!inside(kind, px + 0.5, py + 0.5, x, y, w, h)) continue;
        for (let c = 0; c < 3; c++) pixels[c * plane + py * size + px] = colour[c];
        if (px < x1) x1 = px;
        if (px + 1 > x2) x2 = px + 1;
        if (py < y1) y1 = py;
        if (py + 1 > y2) y2 = py + 1;
      }
    }
    return x1 === Infinity ? null : [x1, y1, x2, y2];
  }
}

/**
 * Seeded synthetic detection images: get(i) → [image [3, S, S] float32 in [0, 1], {boxes [K, 4]
 * float32 (x1, y1, x2, y2) tight around the shape's pixels, in pixel edges, labels [K] int32
 * (1-based; 0 is the background, as torchvision's detection models)}].
 */
export function shapes(opts: ShapesOptions): ShapesDataset {
  return new ShapesDataset(opts);
}
