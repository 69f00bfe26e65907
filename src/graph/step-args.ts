// Argument providers: the scalars of a kernel call that change from one training step to the next
// although the step's kernels and buffers do not (Adam's bias corrections from its step count, a
// learning rate a scheduler moved, a random op's Philox counter). Code that computes such
// arguments hands the computation to stepArgs(); eagerly that is just a call. While a compiled
// step is being captured at the kernel level (kernel-capture.ts), the computation is remembered
// with the object it returned, and the kernel call that receives that object replays with a fresh
// result of the same computation — run at the same place in the step, so counters advance exactly
// as eagerly.

/** What kernel capture installs to see each provider; null when no capture runs. */
let observer: ((compute: () => object, result: object) => void) | null = null;

/** Run `compute` for this step's kernel arguments (see the file comment); returns its result. */
export function stepArgs<T extends object>(compute: () => T): T {
  const result = compute();
  if (observer !== null) observer(compute, result);
  return result;
}

/** Install (or, with null, remove) the capture's observer; returns the previous one. */
export function setStepArgsObserver(o: ((compute: () => object, result: object) => void) | null): ((compute: () => object, result: object) => void) | null {
  const previous = observer;
  observer = o;
  return previous;
}
