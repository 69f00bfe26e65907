// Host reads that only validate (an index range check reading a min and a max, a one-time warning
// about the kind of scores a loss gets): the op tracer and the kernel-level capture may keep a
// step that makes them, since what follows does not depend on the values read unless the check
// throws (or warns). A replay skips them, as it skips all op-level JavaScript; the kernels
// themselves still check indices as they read (native), or cannot leave their arrays (cpu).

let depth = 0;

/** Run fn, whose host reads only decide whether to throw or warn. */
export function hostCheck<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

/** Whether a hostCheck is running. */
export function inHostCheck(): boolean {
  return depth > 0;
}

let dependsDepth = 0;

/**
 * Run fn, whose host reads decide what the kernels that follow compute (embedding's maxNorm picks
 * the rows to renormalise from the indices): a kernel-level capture cannot replay such a step.
 */
export function hostDepends<T>(fn: () => T): T {
  dependsDepth++;
  try {
    return fn();
  } finally {
    dependsDepth--;
  }
}

/** Whether a hostDepends is running. */
export function inHostDepends(): boolean {
  return dependsDepth > 0;
}
