// A counter that state changes a compiled graph depends on but cannot see as values bump (a
// module switching between training and eval): compile's guard retraces when it moved.

let epoch = 0;

/** The current epoch; compare two readings to tell whether such state changed in between. */
export function stateEpoch(): number {
  return epoch;
}

/** Say that state compiled graphs may have specialised on changed (Module.train does). */
export function noteStateChange(): void {
  epoch++;
}
