// Errors the CLI reports as one line and a non-zero exit, never a stack trace.

import { editDistance } from "../core/options.js";

export class UsageError extends Error {}

/** Parse a number option, or fail with a message that names the option and the value. */
export function parseNumber(flag: string, value: string, check: { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean } = {}): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number, got "${value}"`);
  if (check.integer && !Number.isInteger(n)) throw new UsageError(`${flag} must be an integer, got ${value}`);
  if (check.min !== undefined && (check.exclusiveMin ? n <= check.min : n < check.min)) {
    throw new UsageError(`${flag} must be ${check.exclusiveMin ? "greater than" : "at least"} ${check.min}, got ${value}`);
  }
  if (check.max !== undefined && n > check.max) throw new UsageError(`${flag} must be at most ${check.max}, got ${value}`);
  return n;
}

export function oneOf<T extends string>(flag: string, value: string, options: readonly T[]): T {
  const key = normalizeName(value);
  const hit = options.find((o) => normalizeName(o) === key);
  if (!hit) throw new UsageError(`unknown ${flag} "${value}"${didYouMean(value, options)}; choose one of ${options.join(", ")}`);
  return hit;
}

/** "Typical-CNN", "typical_cnn" and "typicalCnn" name the same thing. */
export function normalizeName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** ` (did you mean "resnet50"?)` when one name is close to `value` (a typo), else "". */
export function didYouMean(value: string, options: readonly string[]): string {
  const key = normalizeName(value);
  // A name cut short ("cifar" for cifar10, "vgg" is too short to guess from) is the likeliest slip.
  const extended = key.length >= 4 ? options.filter((o) => normalizeName(o).startsWith(key)) : [];
  if (extended.length === 1) return ` (did you mean "${extended[0]}"?)`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const o of options) {
    const d = editDistance(key, normalizeName(o));
    if (d < bestDistance) [best, bestDistance] = [o, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? ` (did you mean "${best}"?)` : "";
}
