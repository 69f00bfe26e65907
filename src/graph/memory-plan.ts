// Memory planning for a captured step: every buffer that lives only inside the step gets a slot of
// a plan-owned arena, chosen so that buffers whose lifetimes overlap never share one. Lifetimes are
// inclusive ranges of step positions (first to last kernel that touches the buffer), so a kernel's
// inputs and outputs always get distinct slots. Greedy in order of first use, best fit among the
// free slots (growing the largest free one when none is big enough), as activation planners do.

/** One buffer to place: its size and the positions it is live at (inclusive). */
export interface Lifetime {
  bytes: number;
  start: number;
  end: number;
}

export interface MemoryPlan {
  /** The slot of each lifetime, by index. */
  slotOf: number[];
  /** Each slot's size in bytes (the largest buffer it holds). */
  slotBytes: number[];
  /** What one buffer per lifetime would take. */
  naiveBytes: number;
}

export function planMemory(lifetimes: readonly Lifetime[]): MemoryPlan {
  const order = lifetimes.map((_, i) => i).sort((a, b) => lifetimes[a].start - lifetimes[b].start || lifetimes[b].bytes - lifetimes[a].bytes);
  const slotOf = new Array<number>(lifetimes.length).fill(-1);
  const slotBytes: number[] = [];
  /** When each slot's current occupant dies. */
  const busyUntil: number[] = [];
  for (const i of order) {
    const { bytes, start, end } = lifetimes[i];
    if (end < start) throw new RangeError(`planMemory: lifetime ${i} ends (${end}) before it starts (${start})`);
    let best = -1, largest = -1;
    for (let s = 0; s < slotBytes.length; s++) {
      if (busyUntil[s] >= start) continue;
      if (slotBytes[s] >= bytes && (best < 0 || slotBytes[s] < slotBytes[best])) best = s;
      if (largest < 0 || slotBytes[s] > slotBytes[largest]) largest = s;
    }
    const s = best >= 0 ? best : largest >= 0 ? largest : slotBytes.length;
    if (s === slotBytes.length) {
      slotBytes.push(0);
      busyUntil.push(-1);
    }
    slotBytes[s] = Math.max(slotBytes[s], bytes);
    busyUntil[s] = end;
    slotOf[i] = s;
  }
  return { slotOf, slotBytes, naiveBytes: lifetimes.reduce((n, l) => n + l.bytes, 0) };
}
