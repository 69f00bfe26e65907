// The one normaliser for PyTorch's "an int or a tuple" arguments (kernel sizes, strides, padding,
// dilation): layers, ops and the size formulas all read them through here, so they accept the
// same spellings and fail with the same message.

export type IntOrTuple = number | readonly number[];

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? `[${v.join(", ")}]` : String(v));

/**
 * One integer ≥ min per dim from a number or an array of `n` (a one-element array is repeated, as
 * torch's _ntuple does). The error names the owner (op or layer) and the argument.
 */
export function intTuple(owner: string, name: string, v: unknown, n: number, min = 1): number[] {
  const arr = typeof v === "number" ? new Array<number>(n).fill(v)
    : Array.isArray(v) ? (v.length === 1 && n > 1 ? new Array<number>(n).fill(v[0]) : [...v]) : null;
  if (arr === null || arr.length !== n || arr.some((x) => typeof x !== "number" || !Number.isInteger(x) || x < min)) {
    const what = min === 1 ? "positive integer" : min === 0 ? "non-negative integer" : `integer >= ${min}`;
    throw new RangeError(`${owner}: ${name} must be a ${what} or an array of ${n} of them, got ${show(v)}`);
  }
  return arr as number[];
}
