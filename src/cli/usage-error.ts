// Errors the CLI reports as one line and a non-zero exit, never a stack trace.

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
  if (!hit) throw new UsageError(`unknown ${flag} "${value}"; choose one of ${options.join(", ")}`);
  return hit;
}

/** "Typical-CNN", "typical_cnn" and "typicalCnn" name the same thing. */
export function normalizeName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, "");
}
