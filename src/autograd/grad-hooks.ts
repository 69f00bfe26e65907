// Post-accumulate-grad hooks (torch's Tensor.register_post_accumulate_grad_hook): called once a
// leaf's .grad holds every contribution of the current backward pass, while backward goes on.
// nn.parallel.DistributedDataParallel starts a gradient bucket's all-reduce from them.
import type { Tensor } from "../tensor/tensor.js";

export type PostAccumulateGradHook = (leaf: Tensor) => void;

const hooks = new WeakMap<Tensor, Set<PostAccumulateGradHook>>();

/** Calls hook(leaf) after each backward pass that accumulated into leaf.grad; returns its remover. */
export function registerPostAccumulateGradHook(leaf: Tensor, hook: PostAccumulateGradHook): { remove(): void } {
  if (!leaf.isLeaf) throw new Error("registerPostAccumulateGradHook: the tensor is not a leaf (it has a gradFn); register it on a parameter or another leaf");
  let set = hooks.get(leaf);
  if (!set) hooks.set(leaf, (set = new Set()));
  set.add(hook);
  return { remove: () => void set.delete(hook) };
}

export function hasPostAccumulateGradHooks(leaf: Tensor): boolean {
  return (hooks.get(leaf)?.size ?? 0) > 0;
}

export function runPostAccumulateGradHooks(leaf: Tensor): void {
  const set = hooks.get(leaf);
  if (set) for (const hook of [...set]) hook(leaf);
}
