// Option objects: the one check every public entry point runs on the `{ ... }` it was given, so a
// misspelt or foreign option name (Keras' `strides`, PyTorch's `batch_size`) is an error that says
// what to write instead, never an option silently ignored.

/** A value as it reads in an error message. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(", ")}]`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return "an object";
  return String(value);
}

/** snake_case to camelCase: PyTorch's and Keras' spellings of our option names. */
export const camelCase = (key: string): string => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Edit distance with adjacent transpositions (optimal string alignment), so the commonest typo,
 * two swapped letters ("bais", "spilt"), counts as one edit. Option and layer names are short.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], before[j - 2] + 1);
    }
    [before, prev] = [prev, row];
  }
  return prev[b.length];
}

/** The known name a user most likely meant by `key`, or undefined. */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const camel = camelCase(key);
  if (known.includes(camel)) return camel;
  const lower = key.toLowerCase().replace(/_/g, "");
  const caseOnly = known.find((k) => k.toLowerCase() === lower);
  if (caseOnly) return caseOnly;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

/**
 * Check that `given` (undefined, or a plain object) names only options in `known`. `renamed` maps
 * names other libraries use for the same thing to the advice to give (torchvision's
 * `{ train: false }` → `split: "test"`). Throws one TypeError naming the owner, the option, the
 * likely intended name and the full list. Keys whose value is undefined are let through.
 */
export function checkOptions(owner: string, given: unknown, known: readonly string[], renamed: Readonly<Record<string, string>> = {}): void {
  if (given === undefined) return;
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    throw new TypeError(`${owner}: options must be an object such as { ${known[0] ?? "option"}: ... }, got ${describe(given)}`);
  }
  for (const [key, value] of Object.entries(given)) {
    // A key spread in with no value (`{ ...defaults, dropout: undefined }`) asks for nothing.
    if (known.includes(key) || value === undefined) continue;
    throw unknownOption(owner, key, known, renamed);
  }
}

/** The error for one unknown option name (see checkOptions). */
export function unknownOption(owner: string, key: string, known: readonly string[], renamed: Readonly<Record<string, string>> = {}): TypeError {
  const advice = renamed[key];
  const guess = advice === undefined ? closestName(key, known) : undefined;
  const hint = advice !== undefined ? ` (use ${advice})` : guess !== undefined ? ` (did you mean "${guess}"?)` : "";
  const list = known.length ? `; the options are ${known.join(", ")}` : "; it takes no options";
  return new TypeError(`${owner}: unknown option "${key}"${hint}${list}`);
}

/**
 * The option names of an options interface, written once next to it and checked by the compiler
 * both ways (a name missing from the list, or one the interface lacks, is a type error), so the
 * list checkOptions is given cannot drift from the type:
 *   export const FIT_OPTIONS = optionNames<FitOptions>({ epochs: 1, batchSize: 1, ... });
 */
export function optionNames<O extends object>(names: { readonly [K in keyof O]-?: 1 }): readonly (keyof O & string)[] {
  return Object.freeze(Object.keys(names)) as readonly (keyof O & string)[];
}
