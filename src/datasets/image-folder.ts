// nb.datasets.imageFolder: images sorted into one subfolder per class, like torchvision's
// ImageFolder (class names sorted → class indices 0, 1, ...). Images are decoded when a sample
// is asked for, so a large folder costs only its file list until it is read.

import { readdirSync, statSync } from "node:fs";
import { extname, join, relative, resolve } from "node:path";
import { checkOptions, optionNames } from "../core/options.js";
import { checkIndex, type Dataset, type Sample } from "../data/dataset.js";
import { TORCHVISION_DATASET_ADVICE } from "./data-folder.js";
import { decodeImage, rgbaToPlanes, sniffImage, type ImageInfo } from "./image-files.js";
import { adoptArray } from "./raw-images.js";
import { resizeBilinear } from "./resize.js";

export interface ImageFolderOptions {
  /** File extensions to take, case-insensitive (default .png, .jpg, .jpeg); other files are skipped. */
  extensions?: readonly string[];
  /**
   * Resize every image to [height, width] (or size x size), bilinearly as
   * F.interpolate(mode="bilinear", align_corners=False) without antialiasing. Without it, all
   * images must have the same size.
   */
  size?: number | readonly [number, number];
  /**
   * 3: RGB (grayscale images are repeated to three channels); 1: grayscale (colour images become
   * luma). "auto" (the default): 1 when every image is grayscale, else 3.
   */
  channels?: 1 | 3 | "auto";
}

export const IMAGE_FOLDER_OPTIONS = optionNames<ImageFolderOptions>({ extensions: 1, size: 1, channels: 1 });

export interface ImageSample {
  path: string;
  label: number;
}

const DEFAULT_EXTENSIONS = [".png", ".jpg", ".jpeg"];
const WHERE = "imageFolder";

export class ImageFolder implements Dataset {
  readonly root: string;
  /** Class names (the subfolder names, sorted); a label indexes this list. */
  readonly classes: readonly string[];
  readonly classToIdx: Readonly<Record<string, number>>;
  /** Every image file with its label, class by class, sorted by path within a class. */
  readonly samples: readonly ImageSample[];
  readonly channels: 1 | 3;
  /** [height, width] of every sample. */
  readonly imageSize: readonly [number, number];
  private readonly info: readonly ImageInfo[];

  constructor(root: string, opts: ImageFolderOptions = {}) {
    if (typeof root !== "string" || root === "") throw new TypeError(`${WHERE}: root must be a folder path, got ${JSON.stringify(root)}`);
    checkOptions(WHERE, opts, IMAGE_FOLDER_OPTIONS, {
      transform: TORCHVISION_DATASET_ADVICE.transform, target_transform: TORCHVISION_DATASET_ADVICE.target_transform,
      targetTransform: TORCHVISION_DATASET_ADVICE.targetTransform,
      loader: "size and channels (imageFolder decodes PNG and JPEG itself)", is_valid_file: "extensions", isValidFile: "extensions",
    });
    this.root = resolve(root);
    const extensions = normalizeExtensions(opts.extensions ?? DEFAULT_EXTENSIONS);
    const size = normalizeSize(opts.size);
    const channels = opts.channels ?? "auto";
    if (channels !== 1 && channels !== 3 && channels !== "auto") {
      throw new RangeError(`${WHERE}: channels must be 1, 3 or "auto", got ${JSON.stringify(channels)}`);
    }
    if (!isDirectory(this.root)) throw new Error(`${WHERE}: the folder ${this.root} does not exist or is not a folder; expected one subfolder of images per class in it`);

    this.classes = readdirSync(this.root).filter((n) => !n.startsWith(".") && isDirectory(join(this.root, n))).sort();
    if (this.classes.length === 0) throw new Error(`${WHERE}: ${this.root} has no subfolders; expected one subfolder of images per class (e.g. ${this.root}/cat/1.png)`);
    this.classToIdx = Object.fromEntries(this.classes.map((c, i) => [c, i]));
    const samples: ImageSample[] = [];
    const empty: string[] = [];
    this.classes.forEach((cls, label) => {
      const files = listImages(join(this.root, cls), extensions);
      if (files.length === 0) empty.push(cls);
      for (const path of files) samples.push({ path, label });
    });
    if (empty.length > 0) {
      throw new Error(`${WHERE}: no images with extensions ${extensions.join(", ")} for the classes ${empty.join(", ")} in ${this.root}`);
    }
    this.samples = samples;
    this.info = samples.map((s) => sniffImage(WHERE, s.path));
    this.channels = channels === "auto" ? (this.info.every((i) => i.gray) ? 1 : 3) : channels;
    if (size) {
      this.imageSize = size;
    } else {
      const first = this.info[0];
      const other = this.info.findIndex((i) => i.width !== first.width || i.height !== first.height);
      if (other >= 0) {
        const o = this.info[other];
        throw new RangeError(`${WHERE}: images differ in size: ${this.rel(0)} is ${first.height}x${first.width} (HxW) but ${this.rel(other)} is ${o.height}x${o.width}; pass {size: [height, width]} to resize them all`);
      }
      this.imageSize = [first.height, first.width];
    }
  }

  get length(): number {
    return this.samples.length;
  }

  /** Labels in sample order (torchvision's `targets`). */
  get targets(): number[] {
    return this.samples.map((s) => s.label);
  }

  get(index: number): Sample {
    checkIndex(WHERE, index, this.length);
    const [h, w] = this.imageSize;
    const x = new Float32Array(this.channels * h * w);
    this.readInto(index, x, 0);
    return [adoptArray(x, [this.channels, h, w]), adoptArray(Int32Array.of(this.samples[index].label), [])];
  }

  getBatch(indices: readonly number[]): Sample {
    for (const i of indices) checkIndex(WHERE, i, this.length);
    const [h, w] = this.imageSize;
    const per = this.channels * h * w;
    const x = new Float32Array(indices.length * per);
    indices.forEach((index, k) => this.readInto(index, x, k * per));
    const y = Int32Array.from(indices, (i) => this.samples[i].label);
    return [adoptArray(x, [indices.length, this.channels, h, w]), adoptArray(y, [indices.length])];
  }

  /** Decode sample `index` as [C, H, W] into out at offset, resizing when needed. */
  private readInto(index: number, out: Float32Array, offset: number): void {
    const { path } = this.samples[index];
    const info = this.info[index];
    const img = decodeImage(WHERE, path, info.format);
    if (img.width !== info.width || img.height !== info.height) {
      throw new Error(`${WHERE}: ${path} decoded to ${img.height}x${img.width} but its header says ${info.height}x${info.width}`);
    }
    const [h, w] = this.imageSize;
    if (img.height === h && img.width === w) {
      rgbaToPlanes(img, this.channels, info.gray, out, offset);
      return;
    }
    const planes = new Float32Array(this.channels * img.height * img.width);
    rgbaToPlanes(img, this.channels, info.gray, planes, 0);
    resizeBilinear(planes, this.channels, img.height, img.width, out, offset, h, w);
  }

  private rel(index: number): string {
    return relative(this.root, this.samples[index].path);
  }
}

/** A Dataset of the images under root, one subfolder per class. */
export function imageFolder(root: string, opts: ImageFolderOptions = {}): ImageFolder {
  return new ImageFolder(root, opts);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Image files under dir, nested folders included: files sorted by name, then each subfolder. */
function listImages(dir: string, extensions: readonly string[]): string[] {
  const entries = readdirSync(dir).filter((n) => !n.startsWith(".")).sort();
  const files: string[] = [];
  const subdirs: string[] = [];
  for (const name of entries) {
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue; // a dangling link
    }
    if (st.isDirectory()) subdirs.push(p);
    else if (st.isFile() && extensions.includes(extname(name).toLowerCase())) files.push(p);
  }
  return [...files, ...subdirs.flatMap((d) => listImages(d, extensions))];
}

function normalizeExtensions(exts: readonly string[]): string[] {
  if (!Array.isArray(exts) || exts.length === 0 || exts.some((e) => typeof e !== "string" || e.replace(/^\./, "") === "")) {
    throw new TypeError(`${WHERE}: extensions must be a non-empty list like [".png", ".jpg"], got ${JSON.stringify(exts)}`);
  }
  return exts.map((e) => (e.startsWith(".") ? e : "." + e).toLowerCase());
}

function normalizeSize(size: ImageFolderOptions["size"]): [number, number] | undefined {
  if (size === undefined) return undefined;
  const hw = typeof size === "number" ? [size, size] : Array.isArray(size) && size.length === 2 ? [size[0], size[1]] : null;
  if (!hw || hw.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(`${WHERE}: size must be a positive integer or [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
  return [hw[0], hw[1]];
}
