// Finding a dataset's files under the folder a user names, with one clear error when they
// are not there. Nothing is downloaded at run time.

import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe } from "../core/options.js";

export type Split = "train" | "test";

/**
 * The split from `split` or from torchvision's `train: boolean` (true: "train", false: "test");
 * default "train". Given both, they must agree.
 */
export function resolveSplit(where: string, split: unknown, train: unknown): Split {
  const named = split === undefined ? undefined : checkSplit(where, split);
  if (train === undefined) return named ?? "train";
  if (typeof train !== "boolean") throw new TypeError(`${where}: train must be true or false (torchvision's spelling of split: "train" / "test"), got ${describe(train)}`);
  const fromTrain: Split = train ? "train" : "test";
  if (named !== undefined && named !== fromTrain) {
    throw new RangeError(`${where}: train: ${train} and split: ${JSON.stringify(named)} disagree; pass one of them`);
  }
  return fromTrain;
}

/** Advice for torchvision dataset arguments that nabla puts elsewhere (unknown-option errors). */
export const TORCHVISION_DATASET_ADVICE: Readonly<Record<string, string>> = {
  transform: "DataLoader's transform option: new nb.data.DataLoader(ds, { transform })",
  target_transform: "a dataset that maps the labels; DataLoader's transforms apply to x only",
  targetTransform: "a dataset that maps the labels; DataLoader's transforms apply to x only",
  download: "root, a folder holding the files; nabla downloads nothing at run time",
};

export function checkSplit(where: string, split: unknown): Split {
  if (split === "train" || split === "test") return split;
  throw new RangeError(`${where}: split must be "train" or "test", got ${JSON.stringify(split)}`);
}

export function checkLimit(where: string, limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`${where}: limit must be a positive integer, got ${JSON.stringify(limit)}`);
  }
  return limit;
}

/** `name` or `name.gz` in `folder`, or undefined. */
export function findFile(folder: string, name: string, allowGz: boolean): string | undefined {
  for (const candidate of allowGz ? [name, name + ".gz"] : [name]) {
    const p = join(folder, candidate);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

export interface FolderSpec {
  where: string;
  /** Where the files may sit relative to root ("" for root itself), e.g. torchvision's layout. */
  subfolders: readonly string[];
  files: readonly string[];
  allowGz: boolean;
  /** How to get the files, for the error message. */
  howToGet: string;
}

/**
 * The paths of spec.files inside root (or the first listed subfolder holding them all).
 * Errors name the folder, the files expected and the ones missing.
 */
export function locateFiles(root: unknown, spec: FolderSpec): string[] {
  const { where, files, allowGz } = spec;
  const expected = files.map((f) => (allowGz ? `${f}(.gz)` : f)).join(", ");
  if (typeof root !== "string" || root === "") {
    throw new TypeError(`${where}: pass {root}, the folder holding ${expected}; nabla downloads nothing at run time. ${spec.howToGet}`);
  }
  const abs = resolve(root);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new Error(`${where}: the data folder ${abs} does not exist or is not a folder; expected ${expected} in it (nabla downloads nothing at run time). ${spec.howToGet}`);
  }
  let best: { folder: string; found: (string | undefined)[] } | undefined;
  for (const sub of spec.subfolders) {
    const folder = sub === "" ? abs : join(abs, sub);
    const found = files.map((f) => findFile(folder, f, allowGz));
    if (found.every((p) => p !== undefined)) return found as string[];
    if (!best || found.filter(Boolean).length > best.found.filter(Boolean).length) best = { folder, found };
  }
  const missing = files.filter((_, i) => best!.found[i] === undefined).map((f) => (allowGz ? `${f}(.gz)` : f));
  throw new Error(`${where}: ${best!.folder} lacks ${missing.join(", ")}; expected ${expected} there. ${spec.howToGet}`);
}
