// `nabla bench [section ...]`: the project's speed table, the same as `npm run bench` — it runs
// bench/index.ts itself (through tsx, in a child process), so there is one benchmark and not a
// copy. The benchmarks are TypeScript beside the sources of a clone of the repository; an
// installed package has neither them nor tsx, and says so.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "./usage-error.js";

/** The package root: two folders above this file, from src/cli/ and from dist/cli/ alike. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** bench/index.ts and the tsx loader that runs it, or a UsageError saying what is missing. */
export function benchEntry(root = ROOT): string {
  const entry = join(root, "bench", "index.ts");
  if (!existsSync(entry)) throw new UsageError(`bench: the benchmarks (bench/) are not part of the installed package; run them in a clone of the repository (npm ci && npm run bench)`);
  try {
    createRequire(join(root, "package.json")).resolve("tsx");
  } catch {
    throw new UsageError("bench: the benchmarks run through tsx, a dev dependency; install it first (npm ci in the repository)");
  }
  return entry;
}

/**
 * Run the benchmarks (all sections, or those named; ["--list"] lists them), the table streamed to
 * `write`. The benchmark's own notes on stderr (a missing PyTorch reference) follow the table; a
 * failure becomes one error with its last line.
 */
export function benchCommand(args: string[], write: (chunk: string) => void = (s) => void process.stdout.write(s)): Promise<void> {
  const entry = benchEntry();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", write);
    child.stderr.setEncoding("utf8").on("data", (s: string) => void (stderr += s));
    child.on("error", fail);
    child.on("close", (code) => {
      if (code === 0) {
        if (stderr) process.stderr.write(stderr);
        return done();
      }
      const last = stderr.trim().split("\n").pop()?.replace(/^bench: /, "");
      fail(code === 2 && last ? new UsageError(`bench: ${last}`) : new Error(`bench exited with code ${code}${last ? `: ${last}` : ""}`));
    });
  });
}
