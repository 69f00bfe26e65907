// Running a search: each parameter set is scored by the objective in turn, and the trials come
// back ranked best first. Shared by gridSearch and randomSearch.

import { manualSeed } from "../tensor/random.js";
import type { History } from "../train/fit.js";
import { deriveSeed, describeValue } from "../train/model-builder.js";
import { formatNumber, formatTable } from "../train/text-table.js";
import { type Mode, resolveObjective } from "./objective.js";
import { printLine } from "../core/print-line.js";

export interface Trial<P> {
  /** Position of the trial in the order it ran (0-based). */
  index: number;
  params: P;
  /** The objective's score (NaN when training diverged: such trials rank last). */
  score: number;
  /** nb.fit's history, for fit objectives (or what a trial function returned with its score). */
  history?: History;
}

export interface SearchResult<P> {
  /** Every trial, best first (ties keep the order they ran in). */
  trials: Trial<P>[];
  best: Trial<P>;
  /** Whether lower ("min") or higher ("max") scores ranked first. */
  mode: Mode;
  /** What the score is: the fit objective's metric (e.g. "val_loss"), or "score". */
  metric: string;
  /** A table of the trials, best first. */
  toString(): string;
}

export interface SearchOptions {
  /** For a trial function: "max" (default, a score) or "min" (a loss). Fit objectives default by their metric. */
  mode?: Mode;
  /**
   * Seeds each trial: before it runs, nb's global generator (initial weights, dropout) is seeded
   * from (seed, trial index), and fit's shuffling with the same number (TrialInfo.seed).
   */
  seed?: number;
  /** 0 silent; 1 (default) a line per trial as it finishes and the best one at the end. */
  verbose?: 0 | 1;
}

export async function runSearch<P>(
  paramSets: Record<string, unknown>[], objective: unknown, opts: SearchOptions, trialSeed: number | undefined, where: string,
): Promise<SearchResult<P>> {
  const { run, mode, metric } = resolveObjective<P>(objective, opts.mode, where);
  const verbose = opts.verbose ?? 1;
  const trials: Trial<P>[] = [];
  for (let index = 0; index < paramSets.length; index++) {
    const params = paramSets[index] as P;
    const seed = trialSeed === undefined ? undefined : deriveSeed(trialSeed, index);
    if (seed !== undefined) manualSeed(seed);
    let result: { score: number; history?: History };
    try {
      result = await run(params, { index, seed });
    } catch (e) {
      // The search's own errors (a missing metric, say) already say what is wrong; others get the trial.
      const why = e instanceof Error ? e.message : String(e);
      if (why.startsWith(`${where}:`)) throw e;
      const Kind = e instanceof TypeError ? TypeError : e instanceof RangeError ? RangeError : Error;
      throw new Kind(`${where}: trial ${index} ${formatParams(params)} failed: ${why}`, { cause: e });
    }
    trials.push({ index, params, score: result.score, ...(result.history ? { history: result.history } : {}) });
    if (verbose > 0) printLine(`${where}: trial ${index + 1}/${paramSets.length} ${formatParams(params)} - ${metric}: ${formatNumber(result.score)}`);
  }
  const ranked = rank(trials, mode);
  const result: SearchResult<P> = {
    trials: ranked, best: ranked[0], mode, metric,
    toString: () => {
      const names = Object.keys(ranked[0].params as object);
      return formatTable(
        ["rank", ...names, metric],
        ranked.map((t, i) => [String(i + 1), ...names.map((name) => formatValue((t.params as Record<string, unknown>)[name])), t.score]),
      );
    },
  };
  if (verbose > 0) printLine(`${where}: best ${metric} ${formatNumber(result.best.score)} with ${formatParams(result.best.params)}`);
  return result;
}

/** Best first by score (NaN last); stable, so equal scores keep their trial order. */
export function rank<T extends { score: number; index: number }>(trials: readonly T[], mode: Mode): T[] {
  const key = (t: T) => (Number.isNaN(t.score) ? Infinity : mode === "min" ? t.score : -t.score);
  return [...trials].sort((a, b) => key(a) - key(b) || a.index - b.index);
}

function formatValue(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === "string") return v;
  return describeValue(v);
}

function formatParams(params: unknown): string {
  return `{ ${Object.entries(params as object).map(([k, v]) => `${k}: ${formatValue(v)}`).join(", ")} }`;
}
