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

/** Levenshtein distance (option and layer names are short). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
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
 * likely intended name and the full list.
 */
export function checkOptions(owner: string, given: unknown, known: readonly string[], renamed: Readonly<Record<string, string>> = {}): void {
  if (given === undefined) return;
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    throw new TypeError(`${owner}: options must be an object such as { ${known[0] ?? "option"}: ... }, got ${describe(given)}`);
  }
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
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
