// A node of the define-by-run graph: how to turn the gradient of one op's output into gradients of
// its inputs. Ops create nodes through record(); the engine (engine.ts) walks them.

import { Tensor } from "../tensor/tensor.js";
import type { GradFn } from "../tensor/tensor.js";
import { isGradEnabled } from "./grad-mode.js";
// Anything that records a graph can be differentiated: loading the engine installs t.backward().
import "./engine.js";

/**
 * Given the output gradient and the tensors the op saved, return one gradient per input (null or
 * undefined where none flows). `needs[i]` says whether input i wants a gradient, so a rule can skip
 * work. Gradients may have the broadcast shape: the engine sums them down to each input's shape.
 */
export type BackwardFn = (g: Tensor, saved: Tensor[], needs: boolean[]) => (Tensor | null | undefined)[];

/** Where the gradient of one input goes: an earlier node, or a leaf tensor's .grad. */
export interface Edge {
  readonly node: Node | null;
  readonly leaf: Tensor | null;
  readonly shape: readonly number[];
  readonly dtype: Tensor["dtype"];
}

export class Node implements GradFn {
  backwardFn: BackwardFn | null;
  saved: Tensor[] | null;
  /** Set for outputs that asked retainGrad(). */
  output: WeakRef<Tensor> | null = null;

  constructor(
    readonly name: string,
    readonly edges: readonly (Edge | null)[],
    backwardFn: BackwardFn,
    saved: Tensor[],
  ) {
    this.backwardFn = backwardFn;
    this.saved = saved;
  }

  /** Drop the saved tensors and the rule once backward has used them. */
  release(): void {
    if (this.saved) for (const t of this.saved) t.dispose();
    this.saved = null;
    this.backwardFn = null;
  }
}

/** An untracked alias of t's storage, stamped with the storage version at save time. */
export function saveForBackward(t: Tensor): Tensor {
  const alias = new Tensor(t.storage.retain(), t.shape, t.strides, t.offset, true);
  alias.savedVersion = t.storage.version;
  return alias;
}

/** Whether an op on these inputs should be recorded. */
export function needsGrad(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Attach a graph node to `out` when any input requires grad and recording is on. `saved` are the
 * tensors the rule needs later; they are kept alive (even through tidy) until backward runs.
 * Returns out, for chaining.
 */
export function record(
  name: string,
  inputs: readonly (Tensor | null | undefined)[],
  out: Tensor,
  backward: BackwardFn,
  saved: readonly Tensor[] = [],
): Tensor {
  if (!needsGrad(inputs)) return out;
  const edges = inputs.map((t): Edge | null => {
    if (!t || !t.requiresGrad) return null;
    const node = t.gradFn as Node | null;
    return { node, leaf: node ? null : t, shape: t.shape, dtype: t.dtype };
  });
  out.setGraph(new Node(name, edges, backward, saved.map(saveForBackward)));
  return out;
}
