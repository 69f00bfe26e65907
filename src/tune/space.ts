// Search spaces for nb.tune: an object from parameter name to its candidate values. An array lists
// the values (grid search takes every combination); random search also takes distributions:
//
//   { lr: nb.tune.logUniform(1e-4, 1e-1), batchSize: [32, 64], optimizer: ["adam", "sgd"],
//     dropout: nb.tune.uniform(0, 0.5), hidden: nb.tune.intRange(16, 128), epochs: 5 }
//
// A plain number, string or boolean is a fixed value.

const DISTRIBUTION = Symbol("nb.tune.distribution");

export interface Distribution<T = unknown> {
  readonly [DISTRIBUTION]: true;
  readonly kind: "uniform" | "logUniform" | "choice" | "intRange";
  /** How many distinct values it has: Infinity for uniform and logUniform. */
  readonly size: number;
  /** The value at quantile u ∈ [0, 1) (each draw uses one uniform number). */
  at(u: number): T;
  /** The i-th of its values, 0 <= i < size (discrete distributions only). */
  valueAt(i: number): T;
  toString(): string;
}

export type SpaceValue = readonly unknown[] | Distribution | number | string | boolean;
export type Space = Record<string, SpaceValue>;

/** The parameters a space yields: the element type of each list or distribution. */
export type ParamsOf<S> = {
  -readonly [K in keyof S]: S[K] extends readonly (infer V)[] ? V : S[K] extends Distribution<infer V> ? V : S[K];
};

function make<T>(kind: Distribution["kind"], size: number, valueAt: (i: number) => T, at: (u: number) => T, text: string): Distribution<T> {
  return Object.freeze({ [DISTRIBUTION]: true as const, kind, size, at, valueAt, toString: () => text });
}

function continuous(kind: Distribution["kind"], at: (u: number) => number, text: string): Distribution<number> {
  const valueAt = (): number => {
    throw new TypeError(`${text} is continuous: it has no list of values (grid search needs lists or nb.tune.choice)`);
  };
  return make(kind, Infinity, valueAt, at, text);
}

function checkBounds(where: string, a: number, b: number): void {
  if (typeof a !== "number" || typeof b !== "number" || !Number.isFinite(a) || !Number.isFinite(b)) {
    throw new TypeError(`${where}: bounds must be finite numbers, got ${String(a)} and ${String(b)}`);
  }
  if (!(a < b)) throw new RangeError(`${where}: the lower bound must be below the upper bound, got ${a} and ${b}`);
}

/** Uniform on [a, b). */
export function uniform(a: number, b: number): Distribution<number> {
  checkBounds("uniform", a, b);
  return continuous("uniform", (u) => a + u * (b - a), `uniform(${a}, ${b})`);
}

/** Log-uniform on [a, b), 0 < a < b: each decade is equally likely (learning rates, weight decay). */
export function logUniform(a: number, b: number): Distribution<number> {
  checkBounds("logUniform", a, b);
  if (a <= 0) throw new RangeError(`logUniform: bounds must be positive, got ${a} and ${b}`);
  const la = Math.log(a), lb = Math.log(b);
  // exp(log b) may round a hair above b: keep draws inside [a, b].
  return continuous("logUniform", (u) => Math.min(Math.max(Math.exp(la + u * (lb - la)), a), b), `logUniform(${a}, ${b})`);
}

/** The index of quantile u among `size` equally likely values. */
function pick(u: number, size: number): number {
  return Math.min(Math.floor(u * size), size - 1);
}

/** One of the values, each equally likely. */
export function choice<T>(values: readonly T[]): Distribution<T> {
  if (!Array.isArray(values) || values.length === 0) throw new RangeError("choice: needs a non-empty array of values");
  const list = [...values];
  return make("choice", list.length, (i) => list[i], (u) => list[pick(u, list.length)], `choice(${JSON.stringify(list)})`);
}

/** An integer from a to b, both included, each equally likely. */
export function intRange(a: number, b: number): Distribution<number> {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) throw new TypeError(`intRange: bounds must be integers, got ${String(a)} and ${String(b)}`);
  if (a > b) throw new RangeError(`intRange: the lower bound must not exceed the upper bound, got ${a} and ${b}`);
  const size = b - a + 1;
  return make("intRange", size, (i) => a + i, (u) => a + pick(u, size), `intRange(${a}, ${b})`);
}

export function isDistribution(v: unknown): v is Distribution {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[DISTRIBUTION] === true;
}

/** One parameter of a checked space: `size` values (Infinity when continuous), drawn by quantile. */
export interface Dimension {
  name: string;
  size: number;
  valueAt(i: number): unknown;
  at(u: number): unknown;
}

/**
 * The dimensions of a space, in its key order, after checking every entry. `where` names the
 * calling function in errors ("gridSearch", "randomSearch").
 */
export function dimensions(space: unknown, where: string): Dimension[] {
  if (typeof space !== "object" || space === null || Array.isArray(space) || isDistribution(space)) {
    throw new TypeError(`${where}: the search space must be an object such as { lr: [1e-3, 1e-2], batchSize: [32, 64] }`);
  }
  const names = Object.keys(space);
  if (names.length === 0) throw new RangeError(`${where}: the search space is empty; give at least one parameter, e.g. { lr: [1e-3, 1e-2] }`);
  return names.map((name): Dimension => {
    const v = (space as Record<string, unknown>)[name];
    if (Array.isArray(v)) {
      if (v.length === 0) throw new RangeError(`${where}: space.${name} is an empty list; give at least one value`);
      return { name, size: v.length, valueAt: (i) => v[i], at: (u) => v[pick(u, v.length)] };
    }
    if (isDistribution(v)) return { name, size: v.size, valueAt: (i) => v.valueAt(i), at: (u) => v.at(u) };
    if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return { name, size: 1, valueAt: () => v, at: () => v };
    throw new TypeError(
      `${where}: space.${name} is an unknown distribution: give a list of values, a fixed number/string/boolean, ` +
        `or nb.tune.uniform, logUniform, choice or intRange; got ${describe(v)}`,
    );
  });
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "object") return `{${Object.keys(v).join(", ")}}`;
  return `${typeof v} ${String(v)}`;
}
