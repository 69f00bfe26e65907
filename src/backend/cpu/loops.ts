// Monomorphic inner loops. One JavaScript function that sees Float32Array, Float64Array and
// Int32Array operands (and many element functions) is compiled for all of them and runs several
// times slower than a loop that only ever sees one combination. So each (operation, operand
// types, store mode) gets its own copy of the loop, compiled from the same source text by
// `new Function`; the element function it calls is then a single, inlinable target. Where code
// generation is not allowed (a strict browser CSP), one shared closure does the same work.

import type { TypedArray } from "../../core/dtype.js";

/** How a computed value is stored: as is, truncated to an integer, or as a 0/1 bool. */
export type StoreMode = "plain" | "int" | "bool";

const STORE: Record<StoreMode, (v: string) => string> = {
  plain: (v) => v,
  int: (v) => `Math.trunc(${v})`,
  bool: (v) => `((${v}) !== 0 ? 1 : 0)`,
};

export type UnaryRow = (x: TypedArray, o: TypedArray, xi: number, oi: number, n: number, sx: number, so: number, f: (v: number) => number) => void;
export type BinaryRow = (
  a: TypedArray, b: TypedArray, o: TypedArray, ai: number, bi: number, oi: number, n: number,
  sa: number, sb: number, so: number, f: (x: number, y: number) => number,
) => void;

const unaryCache = new Map<string, UnaryRow>();
const binaryCache = new Map<string, BinaryRow>();

function compile<T>(params: string[], body: string, fallback: T): T {
  try {
    return new Function(...params, `"use strict";\n${body}`) as T;
  } catch {
    return fallback;
  }
}

const typeKey = (...arrays: TypedArray[]): string => arrays.map((a) => a.constructor.name).join(",");

/** The row loop o[oi] = f(x[xi]) for these operand types, store mode and element function name. */
export function unaryRow(fnKey: string, x: TypedArray, o: TypedArray, mode: StoreMode): UnaryRow {
  const key = `${fnKey}|${typeKey(x, o)}|${mode}`;
  let loop = unaryCache.get(key);
  if (!loop) {
    const store = STORE[mode];
    loop = compile<UnaryRow>(
      ["x", "o", "xi", "oi", "n", "sx", "so", "f"],
      `for (let i = 0; i < n; i++, xi += sx, oi += so) o[oi] = ${store("f(x[xi])")};`,
      (xs, os, xi, oi, n, sx, so, f) => {
        const s = mode === "plain" ? (v: number) => v : mode === "int" ? Math.trunc : (v: number) => (v !== 0 ? 1 : 0);
        for (let i = 0; i < n; i++, xi += sx, oi += so) os[oi] = s(f(xs[xi]));
      },
    );
    unaryCache.set(key, loop);
  }
  return loop;
}

/** The row loop o[oi] = f(a[ai], b[bi]) for these operand types, store mode and element function name. */
export function binaryRow(fnKey: string, a: TypedArray, b: TypedArray, o: TypedArray, mode: StoreMode): BinaryRow {
  const key = `${fnKey}|${typeKey(a, b, o)}|${mode}`;
  let loop = binaryCache.get(key);
  if (!loop) {
    const store = STORE[mode];
    loop = compile<BinaryRow>(
      ["a", "b", "o", "ai", "bi", "oi", "n", "sa", "sb", "so", "f"],
      `for (let i = 0; i < n; i++, ai += sa, bi += sb, oi += so) o[oi] = ${store("f(a[ai], b[bi])")};`,
      (as, bs, os, ai, bi, oi, n, sa, sb, so, f) => {
        const s = mode === "plain" ? (v: number) => v : mode === "int" ? Math.trunc : (v: number) => (v !== 0 ? 1 : 0);
        for (let i = 0; i < n; i++, ai += sa, bi += sb, oi += so) os[oi] = s(f(as[ai], bs[bi]));
      },
    );
    binaryCache.set(key, loop);
  }
  return loop;
}
