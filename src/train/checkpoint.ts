// Checkpoints that resume training exactly, as files (checkpoint-state.ts says what they hold).
// Files are written atomically (temporary file, fsync, rename) by nb.save.

import { readFile } from "node:fs/promises";
import { save } from "../io/save-load.js";
import type { EpochPosition, FitContext } from "./callbacks/callback.js";
import { applyCheckpoint, checkpointContents, type ShuffleSource } from "./checkpoint-state.js";

export type { ShuffleSource } from "./checkpoint-state.js";

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
  const { tensors, metadata } = checkpointContents(epoch, position, ctx, loader);
  await save(tensors, path, { metadata });
}

/** Load a checkpoint into the model, optimizer and generators; training continues after its epoch. */
export async function restoreCheckpoint(path: string, ctx: FitContext, loader?: ShuffleSource): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`fit: cannot read the checkpoint to resume from (${path}): ${(e as Error).message}`);
  }
  applyCheckpoint(bytes, path, ctx, loader);
}
