// Two optimizers (a GAN's D and G) seen as one for a checkpoint: their parameter groups one after
// the other, the second's parameter indices shifted past the first's, and split back on load.

import type { Optimizer, OptimizerStateDict } from "../optim/optimizer.js";

export function optimizerPair(first: Optimizer, second: Optimizer): Optimizer {
  // stateDict numbers each optimizer's distinct parameters 0..n-1 in group order.
  const offset = new Set(first.paramGroups.flatMap((g) => g.params)).size;
  const pair = {
    stateDict(): OptimizerStateDict {
      const a = first.stateDict(), b = second.stateDict();
      const state: OptimizerStateDict["state"] = { ...a.state };
      for (const [i, s] of Object.entries(b.state)) state[Number(i) + offset] = s;
      return { state, paramGroups: [...a.paramGroups, ...b.paramGroups.map((g) => ({ ...g, params: g.params.map((p) => p + offset) }))] };
    },
    loadStateDict(sd: OptimizerStateDict): void {
      const groups = first.paramGroups.length;
      const part = (from: number, to: number, shift: number): OptimizerStateDict => ({
        state: Object.fromEntries(Object.entries(sd.state).filter(([i]) => Number(i) >= from && Number(i) < to).map(([i, s]) => [Number(i) - shift, s])),
        paramGroups: (shift === 0 ? sd.paramGroups.slice(0, groups) : sd.paramGroups.slice(groups)).map((g) => ({ ...g, params: g.params.map((p) => p - shift) })),
      });
      first.loadStateDict(part(0, offset, 0));
      second.loadStateDict(part(offset, Infinity, offset));
    },
  };
  return pair as unknown as Optimizer;
}
