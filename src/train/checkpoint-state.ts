// What a resumable checkpoint holds, as tensors and metadata, without touching a file: the model's
// state dict (keys as they are, so nb.load + loadStateDict(…, {strict: false}) works on it too),
// the optimizer's state tensors under "__optimizer__.<param>.<name>", and in the metadata the
// epoch, optimizer options and step counts, history, callback state and every RNG state involved.
// checkpoint.ts writes and reads these as files; fit() resumes from a path or from the bytes, so
// this module is also what the browser build (no file system) trains with.

import type { Tensor } from "../tensor/tensor.js";
import { defaultGenerator } from "../tensor/random.js";
import { parseSafetensors } from "../io/safetensors.js";
import type { DataLoader } from "../data/dataloader.js";
import type { EpochPosition, FitContext } from "./callbacks/callback.js";

/** What a checkpoint needs of a training loader: its shuffling generator. */
export type ShuffleSource = Pick<DataLoader, "generator">;

const OPT_PREFIX = "__optimizer__.";
const META_KEY = "nabla.checkpoint";

interface CheckpointMeta {
  format: 1;
  /** The last completed epoch (0-based). */
  epoch: number;
  optimizer: { paramGroups: unknown[]; numbers: Record<string, Record<string, number>> };
  history: Record<string, number[]>;
  extraState: Record<string, unknown>;
  rng: { global: { seed: string; offset: string }; loader?: { seed: string; offset: string } };
  /** Written between two steps: the epoch in progress and how far it got (epoch is then the one before). */
  position?: EpochPosition;
}

function finite(value: unknown): unknown {
  // JSON has no Infinity/NaN: encode them as strings and decode on load.
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? `__num:${v}` : v)));
}
function revive<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_k, v) => (typeof v === "string" && v.startsWith("__num:") ? Number(v.slice(6)) : v));
}

/** The tensors and safetensors metadata of a checkpoint after `epoch` (and `position` within the next). */
export function checkpointContents(
  epoch: number, position: EpochPosition | undefined, ctx: FitContext, loader?: ShuffleSource,
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const tensors = new Map<string, Tensor>(ctx.model.stateDict());
  const sd = ctx.optimizer.stateDict();
  const numbers: Record<string, Record<string, number>> = {};
  for (const [index, state] of Object.entries(sd.state)) {
    for (const [name, v] of Object.entries(state)) {
      if (typeof v === "number") (numbers[index] ??= {})[name] = v;
      else tensors.set(`${OPT_PREFIX}${index}.${name}`, v);
    }
  }
  const meta: CheckpointMeta = {
    format: 1,
    epoch,
    optimizer: { paramGroups: sd.paramGroups, numbers },
    history: ctx.history,
    extraState: ctx.extraState,
    rng: { global: defaultGenerator.getState(), loader: loader?.generator.getState() },
    position,
  };
  return { tensors, metadata: { [META_KEY]: JSON.stringify(finite(meta)) } };
}

/** Load a checkpoint's bytes into the model, optimizer and generators; `path` names it in errors. */
export function applyCheckpoint(bytes: Uint8Array, path: string, ctx: FitContext, loader?: ShuffleSource): void {
  const { tensors, metadata } = parseSafetensors(bytes, { path });
  const raw = metadata?.[META_KEY];
  if (!raw) throw new Error(`fit: ${path} is a weights file, not a resumable checkpoint (no "${META_KEY}" metadata); load it with nb.load and model.loadStateDict instead`);
  const meta = revive(JSON.parse(raw)) as CheckpointMeta;
  const modelState = new Map<string, Tensor>();
  const optState: Record<number, Record<string, Tensor | number>> = {};
  for (const [k, t] of tensors) {
    if (!k.startsWith(OPT_PREFIX)) {
      modelState.set(k, t);
      continue;
    }
    const rest = k.slice(OPT_PREFIX.length);
    const dot = rest.indexOf(".");
    (optState[Number(rest.slice(0, dot))] ??= {})[rest.slice(dot + 1)] = t;
  }
  for (const [index, nums] of Object.entries(meta.optimizer.numbers)) Object.assign((optState[Number(index)] ??= {}), nums);
  ctx.model.loadStateDict(modelState);
  ctx.optimizer.loadStateDict({ state: optState, paramGroups: meta.optimizer.paramGroups as never });
  defaultGenerator.setState(meta.rng.global);
  if (loader && meta.rng.loader) loader.generator.setState(meta.rng.loader);
  ctx.history = meta.history;
  ctx.extraState = meta.extraState;
  ctx.initialEpoch = meta.epoch + 1;
  ctx.position = meta.position;
}

/**
 * fit's resumeFrom: a checkpoint's bytes, or a path read through Node's file system. Node's
 * fs is reached through process.getBuiltinModule, not an import, so that this module (and fit)
 * also bundle for a browser, where a path is refused with a clear error.
 */
export async function resumeCheckpoint(source: string | Uint8Array, ctx: FitContext, loader?: ShuffleSource): Promise<void> {
  if (source instanceof Uint8Array) return applyCheckpoint(source, "the checkpoint bytes", ctx, loader);
  const fs = typeof process !== "undefined" ? process.getBuiltinModule?.("node:fs/promises") : undefined;
  if (!fs) throw new Error(`fit: cannot read the checkpoint to resume from (${source}): there is no file system here (a browser); pass the checkpoint's bytes (a Uint8Array) as resumeFrom`);
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(source);
  } catch (e) {
    throw new Error(`fit: cannot read the checkpoint to resume from (${source}): ${(e as Error).message}`);
  }
  applyCheckpoint(bytes, source, ctx, loader);
}
