// The joined process group as seen from browser-safe code (nb.data's DistributedSampler,
// nn.parallel.DistributedDataParallel, nn.SyncBatchNorm): its rank, size and host-array
// collectives, registered by process-group.ts when it joins — so those modules need no Node-only import.
export type ArrayReduceOp = "sum" | "mean" | "max" | "min";

export interface JoinedGroup {
  rank: number;
  worldSize: number;
  /**
   * In place, after the collectives called before it (an array still to be read holds back the
   * later ones); "mean" needs a Float32Array. Resolves to the reduced array.
   */
  allReduceArray(values: Float32Array | Int32Array | Promise<Float32Array | Int32Array>, op: ArrayReduceOp): Promise<Float32Array | Int32Array>;
  /** The same, returning when done (blocks the JavaScript thread). */
  allReduceArraySync(values: Float32Array | Int32Array, op: ArrayReduceOp): void;
  /** Every rank's values (all of the same length), in rank order, returning when done. */
  allGatherArraySync(values: Float32Array): Float32Array;
  broadcastArray(values: Float32Array | Int32Array, src: number): Promise<void>;
}

let joined: JoinedGroup | null = null;

export function setJoinedGroup(g: JoinedGroup | null): void {
  joined = g;
}

/** The current group, or null outside a process group. */
export function joinedGroup(): JoinedGroup | null {
  return joined;
}
