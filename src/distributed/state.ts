// The joined process group as seen from browser-safe code (nb.data's DistributedSampler,
// nn.parallel.DistributedDataParallel): its rank, size and host-array collectives, registered by
// process-group.ts when it joins — so those modules need no Node-only import.
export interface JoinedGroup {
  rank: number;
  worldSize: number;
  /** In place, queued with the group's other collectives. */
  allReduceArray(values: Float32Array | Int32Array, op: "sum" | "max" | "min"): Promise<void>;
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
