// Reading PNG and JPEG files for imageFolder: a cheap look at the header (format, size, whether
// the image is grayscale) and full decoding through pngjs and jpeg-js (pure JavaScript).

import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import pngjs from "pngjs";
import jpeg from "jpeg-js";

export type ImageFormat = "png" | "jpeg";

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  /** One channel (PNG gray or gray + alpha, JPEG with one component). */
  gray: boolean;
}

/** Refuse images larger than this many pixels (a corrupt header can claim billions). */
export const MAX_IMAGE_PIXELS = 100_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Format, size and grayness from the first bytes of the file, without decoding it. */
export function sniffImage(where: string, path: string): ImageInfo {
  let head = readHead(path, 64 * 1024);
  let info = sniffBytes(head);
  if (info === "need more") {
    head = readFileSync(path);
    info = sniffBytes(head);
  }
  if (info === "need more" || info === "unknown") {
    throw new Error(`${where}: ${path} is not a PNG or JPEG image (or its header is truncated)`);
  }
  if (info.width === 0 || info.height === 0 || info.width * info.height > MAX_IMAGE_PIXELS) {
    throw new RangeError(`${where}: ${path} declares a ${info.width}x${info.height} image; expected a non-empty image of at most ${MAX_IMAGE_PIXELS} pixels`);
  }
  return info;
}

function readHead(path: string, length: number): Uint8Array {
  const size = statSync(path).size;
  const out = new Uint8Array(Math.min(size, length));
  const fd = openSync(path, "r");
  try {
    let done = 0;
    while (done < out.length) {
      const n = readSync(fd, out, done, out.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

function sniffBytes(b: Uint8Array): ImageInfo | "need more" | "unknown" {
  const u16 = (i: number) => (b[i] << 8) | b[i + 1];
  const u32 = (i: number) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
  if (b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v)) {
    // The first chunk is IHDR: width, height, bit depth, colour type (0 gray, 4 gray + alpha).
    if (b.length < 26) return "need more";
    if (String.fromCharCode(b[12], b[13], b[14], b[15]) !== "IHDR") return "unknown";
    const colorType = b[25];
    return { format: "png", width: u32(16), height: u32(20), gray: colorType === 0 || colorType === 4 };
  }
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xd8) {
    // Walk the marker segments up to the frame header (SOF), which holds the size and the
    // number of components.
    let pos = 2;
    while (pos + 4 <= b.length) {
      if (b[pos] !== 0xff) return "unknown";
      const marker = b[pos + 1];
      if (marker === 0xff) { pos += 1; continue; }
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { pos += 2; continue; }
      if (marker === 0xd9 || marker === 0xda) return "unknown";
      const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame) {
        if (pos + 10 > b.length) return "need more";
        return { format: "jpeg", height: u16(pos + 5), width: u16(pos + 7), gray: b[pos + 9] === 1 };
      }
      pos += 2 + u16(pos + 2);
    }
    return "need more";
  }
  return "unknown";
}

/** Decoded pixels as 8-bit RGBA, row-major. */
export interface DecodedImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export function decodeImage(where: string, path: string, format: ImageFormat): DecodedImage {
  const bytes = readFileSync(path);
  try {
    if (format === "png") {
      // pngjs expands every colour type and bit depth to 8-bit RGBA.
      const png = pngjs.PNG.sync.read(bytes);
      return { width: png.width, height: png.height, rgba: png.data };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
    return { width: img.width, height: img.height, rgba: img.data };
  } catch (err) {
    throw new Error(`${where}: cannot decode ${path} as ${format.toUpperCase()}: ${(err as Error).message}`);
  }
}

/**
 * Write an image as float32 [channels, H, W] in [0, 1] into `out` at `offset`. Alpha is
 * dropped (as PIL's convert("RGB")); colour to one channel is ITU-R 601-2 luma (PIL's "L").
 */
export function rgbaToPlanes(img: DecodedImage, channels: 1 | 3, gray: boolean, out: Float32Array, offset: number): void {
  const n = img.width * img.height;
  const rgba = img.rgba;
  if (channels === 3) {
    for (let i = 0; i < n; i++) {
      out[offset + i] = rgba[4 * i] / 255;
      out[offset + n + i] = rgba[4 * i + 1] / 255;
      out[offset + 2 * n + i] = rgba[4 * i + 2] / 255;
    }
  } else if (gray) {
    for (let i = 0; i < n; i++) out[offset + i] = rgba[4 * i] / 255;
  } else {
    for (let i = 0; i < n; i++) {
      out[offset + i] = (rgba[4 * i] * 0.299 + rgba[4 * i + 1] * 0.587 + rgba[4 * i + 2] * 0.114) / 255;
    }
  }
}
