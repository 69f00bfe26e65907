// Checkpoints that resume training exactly: one safetensors file holding the model's state dict
// (keys as they are, so nb.load + loadStateDict(…, {strict: false}) works on it too), the
// optimizer's state tensors under "__optimizer__.<param>.<name>", and in its metadata the epoch,
// optimizer options and step counts, history, callback state and every RNG state involved.
// Files are written atomically (temporary file, fsync, rename) by nb.save.

import { readFile } from "node:fs/promises";
import type { Tensor } from "../tensor/tensor.js";
import { defaultGenerator } from "../tensor/random.js";
import { save } from "../io/save-load.js";
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

/** `loader`: whose shuffling generator is saved (a DataLoader, or any loop's `{ generator }`). */
export async function writeCheckpoint(path: string, epoch: number, ctx: FitContext, loader?: ShuffleSource): Promise<void> {
  await writeState(path, epoch, undefined, ctx, loader);
}

/**
 * A checkpoint between two steps of an epoch (from a callback's onBatchEnd): resuming from it
 * continues that epoch after its last finished batch, with the same shuffle, RNG and mean loss.
 * The epoch's other training metrics (accuracy, ...) then count only the batches after it.
 */
export async function writeStepCheckpoint(path: string, ctx: FitContext): Promise<void> {
  if (!ctx.position) throw new Error("writeStepCheckpoint: no epoch in progress (call it from onBatchEnd; at an epoch's end use writeCheckpoint)");
  await writeState(path, ctx.position.epoch - 1, { ...ctx.position }, ctx, ctx.trainLoader);
}

async function writeState(path: string, epoch: number, position: EpochPosition | undefined, ctx: FitContext, loader?: ShuffleSource): Promise<void> {
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
  await save(tensors, path, { metadata: { [META_KEY]: JSON.stringify(finite(meta)) } });
}

/** Load a checkpoint into the model, optimizer and generators; training continues after its epoch. */
export async function restoreCheckpoint(path: string, ctx: FitContext, loader?: ShuffleSource): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`fit: cannot read the checkpoint to resume from (${path}): ${(e as Error).message}`);
  }
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
