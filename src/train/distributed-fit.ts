// nb.fit inside one rank of a process group (issue 22): what fit does differently when the model
// is an nn.parallel.DistributedDataParallel. The training data is sharded with a DistributedSampler
// (unless the loader already has a sampler), gradients are averaged after each backward pass, the
// epoch's logs are averaged over the ranks weighted by their sample counts (so every rank sees the
// global values and takes the same EarlyStopping/ReduceLROnPlateau decisions), and callbacks marked
// `rankZeroOnly` (progress bar, ModelCheckpoint, CSVLogger, TensorBoard, the dashboard) run on rank 0 only.
import { DataLoader } from "../data/dataloader.js";
import { DistributedSampler } from "../data/distributed-sampler.js";
import { joinedGroup, type JoinedGroup } from "../distributed/state.js";
import { DistributedDataParallel } from "../nn/parallel/distributed-data-parallel.js";
import type { Callback, Logs } from "./callbacks/callback.js";

export interface DistributedFit {
  ddp: DistributedDataParallel;
  group: JoinedGroup;
  /** The DistributedSampler fit made or found (setEpoch each epoch), or null for another sampler. */
  sampler: DistributedSampler | null;
}

/** The distributed side of a fit of `model`, or null for an ordinary (single-process) fit. */
export function distributedFit(model: unknown): Omit<DistributedFit, "sampler"> | null {
  if (!(model instanceof DistributedDataParallel)) return null;
  const group = joinedGroup();
  if (!group) throw new Error("fit: the model is a DistributedDataParallel but no process group is joined (call await nb.distributed.initProcessGroup() first)");
  return { ddp: model, group };
}

/** The loader sharded over the ranks: a DistributedSampler with the loader's shuffle (seed: the fit's seed, else 0). */
export function shardLoader(loader: DataLoader, shuffle: boolean, seed: number | undefined): { loader: DataLoader; sampler: DistributedSampler | null } {
  if (loader.sampler) return { loader, sampler: loader.sampler instanceof DistributedSampler ? loader.sampler : null };
  const sampler = new DistributedSampler(loader.dataset, { shuffle, seed: seed ?? 0 });
  return { loader: loader.withSampler(sampler), sampler };
}

/** Callbacks that write files or the terminal mark themselves so; other ranks leave them out. */
export function callbacksForRank(callbacks: Callback[], rank: number): Callback[] {
  return rank === 0 ? callbacks : callbacks.filter((c) => !(c as { rankZeroOnly?: boolean }).rankZeroOnly);
}

/**
 * Every numeric log averaged over the ranks, each rank weighted by `count` (its samples this
 * epoch), in place. Keys are sorted so every rank sends the same values in the same order.
 */
export async function averageLogs(group: JoinedGroup, logs: Logs, count: number): Promise<void> {
  const keys = Object.keys(logs).filter((k) => typeof logs[k] === "number").sort();
  const packed = new Float32Array(keys.length + 1);
  keys.forEach((k, i) => (packed[i] = (logs[k] as number) * count));
  packed[keys.length] = count;
  await group.allReduceArray(packed, "sum");
  const total = packed[keys.length];
  keys.forEach((k, i) => (logs[k] = total > 0 ? packed[i] / total : NaN));
}
