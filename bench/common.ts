// Shared by the benchmarks: result rows, timing helpers and the Python used for references.

import { spawnSync } from "node:child_process";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

/** Wall times in milliseconds of `reps` calls of fn, after `warmup` untimed calls. */
export function timesMs(fn: () => void, warmup: number, reps: number): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times;
}

export const bestMs = (fn: () => void, warmup: number, reps: number): number => Math.min(...timesMs(fn, warmup, reps));

export function medianMs(fn: () => void, warmup: number, reps: number): number {
  const t = timesMs(fn, warmup, reps).sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/**
 * Run a Python reference script (Debian's python3-torch lives under /usr/bin/python3) and parse
 * the JSON it prints; null when Python or the module is missing.
 */
export function runPython(script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env, timeoutMs = 600_000): unknown {
  let why = "no python3 found";
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", script, ...args], { encoding: "utf8", env, timeout: timeoutMs });
    if (r.status === 0) {
      try {
        return JSON.parse(r.stdout.trim().split("\n").pop()!);
      } catch {
        return null;
      }
    }
    why = `${py}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n").pop()}`;
  }
  // Say why the reference is missing instead of printing nabla's figures alone without a word.
  console.error(`bench: the PyTorch reference did not run (${why}); install python3-torch python3-torchvision libopenblas0-pthread`);
  return null;
}
