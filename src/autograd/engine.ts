// Reverse-mode automatic differentiation: walk the graph from a root in topological order, call
// each node's rule, sum gradients down to each input's shape, and accumulate into leaves' .grad.
// Each node's saved tensors are released as soon as its rule has run (unless retainGraph).

import { Tensor } from "../tensor/tensor.js";
import { Storage } from "../tensor/storage.js";
import { keep, tidy } from "../tensor/scope.js";
import { formatShape, shapesEqual } from "../core/shape.js";
import { noGrad } from "./grad-mode.js";
import type { Node, Edge } from "./node.js";
import { hasPostAccumulateGradHooks, runPostAccumulateGradHooks } from "./grad-hooks.js";

export interface BackwardOptions {
  /** Keep the graph (and its saved tensors) so backward can run through it again. */
  retainGraph?: boolean;
}

export function backward(root: Tensor, grad?: Tensor | number, opts: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error("backward: the tensor does not require grad and has no gradFn; did you forget requiresGrad = true on an input, or call it inside noGrad?");
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.numel() !== 1) {
      throw new Error(`backward: a gradient can be created implicitly only for a scalar (one-element) output, this one has shape ${formatShape(root.shape)}; pass a gradient of that shape: t.backward(grad)`);
    }
    seed = filled(root, 1);
  } else if (typeof grad === "number") {
    seed = filled(root, grad);
  } else {
    if (!shapesEqual(grad.shape, root.shape)) {
      throw new RangeError(`backward: gradient shape ${formatShape(grad.shape)} does not match the output shape ${formatShape(root.shape)}`);
    }
    if (grad.device !== root.device) throw new Error(`backward: gradient is on ${grad.device} but the output is on ${root.device}`);
    seed = alias(grad);
  }
  noGrad(() => run(root, seed, opts.retainGraph ?? false));
}

function run(root: Tensor, seed: Tensor, retainGraph: boolean): void {
  if (root.isLeaf) {
    accumulateLeaf(root, seed);
    runPostAccumulateGradHooks(root);
    return;
  }
  const start = root.gradFn as Node;
  // Count, for every node, how many edges from the graph point at it.
  const dependents = new Map<Node, number>();
  // Leaves with post-accumulate hooks: how many edges still have to bring their gradient.
  const leafUses = new Map<Tensor, number>();
  const stack: Node[] = [start];
  const seen = new Set<Node>([start]);
  while (stack.length) {
    const n = stack.pop()!;
    if (n.backwardFn === null) {
      throw new Error(`backward: trying to backward through the graph a second time (node ${n.name} was already freed); pass { retainGraph: true } to the first backward if you need to`);
    }
    for (const e of n.edges) {
      if (e?.leaf && hasPostAccumulateGradHooks(e.leaf)) leafUses.set(e.leaf, (leafUses.get(e.leaf) ?? 0) + 1);
      if (!e?.node) continue;
      dependents.set(e.node, (dependents.get(e.node) ?? 0) + 1);
      if (!seen.has(e.node)) {
        seen.add(e.node);
        stack.push(e.node);
      }
    }
  }

  const pending = new Map<Node, Tensor>([[start, seed]]);
  const ready: Node[] = [start];
  while (ready.length) {
    const node = ready.pop()!;
    const g = pending.get(node)!;
    pending.delete(node);
    const out = node.output?.deref();
    if (out?.retainsGrad) accumulateLeaf(out, alias(g), true);
    const grads = callRule(node, g);
    for (let i = 0; i < node.edges.length; i++) {
      const edge = node.edges[i];
      const gi = grads[i];
      if (!edge || !gi) {
        gi?.dispose();
        if (edge?.leaf) leafArrived(leafUses, edge.leaf);
        continue;
      }
      const shaped = fitToInput(node, edge, gi);
      if (edge.leaf) {
        accumulateLeaf(edge.leaf, shaped);
        leafArrived(leafUses, edge.leaf);
        continue;
      }
      const target = edge.node!;
      const prev = pending.get(target);
      pending.set(target, prev ? sumInto(prev, shaped) : shaped);
      const left = dependents.get(target)! - 1;
      dependents.set(target, left);
      if (left === 0) ready.push(target);
    }
    g.dispose();
    if (!retainGraph) node.release();
  }
  for (const t of pending.values()) t.dispose();
}

/** One edge into leaf is done; after the last, its post-accumulate hooks run. */
function leafArrived(leafUses: Map<Tensor, number>, leaf: Tensor): void {
  const left = leafUses.get(leaf);
  if (left === undefined) return;
  if (left > 1) leafUses.set(leaf, left - 1);
  else {
    leafUses.delete(leaf);
    runPostAccumulateGradHooks(leaf);
  }
}

/** Run one node's rule; every gradient it returns is an independent (untracked) tensor handle. */
function callRule(node: Node, g: Tensor): (Tensor | null)[] {
  const saved = node.saved!;
  for (const s of saved) {
    if (s.storage.version !== s.savedVersion) {
      throw new Error(
        `backward: a tensor of shape ${formatShape(s.shape)} saved by ${node.name} was modified by an in-place operation ` +
          `(version ${s.savedVersion} when saved, ${s.storage.version} now); clone it before modifying it in place`,
      );
    }
  }
  const firstNewId = Tensor.peekNextId();
  const needs = node.edges.map((e) => e !== null);
  const raw = tidy(() => node.backwardFn!(g, saved, needs));
  if (raw.length !== node.edges.length) {
    throw new Error(`backward: the rule of ${node.name} returned ${raw.length} gradients for ${node.edges.length} inputs`);
  }
  const used = new Set<Tensor>();
  return raw.map((t) => {
    if (!t) return null;
    // Gradients that existed before the rule ran (g itself, a saved tensor) or that the rule
    // returned twice get their own handle, so disposing one slot never frees another.
    const own = t.id >= firstNewId && !used.has(t) ? keep(t) : alias(t);
    used.add(t);
    return own;
  });
}

/** Sum a broadcast gradient down to the input's shape and match its dtype. */
function fitToInput(node: Node, edge: Edge, g: Tensor): Tensor {
  let out = g;
  if (!shapesEqual(g.shape, edge.shape)) {
    out = sumToShape(g, edge.shape, node.name);
    g.dispose();
  }
  if (out.dtype !== edge.dtype) {
    const cast = empty(out, edge.dtype, [...out.shape]);
    out.backend.copy(out.raw(), cast.raw());
    out.dispose();
    out = cast;
  }
  return out;
}

function sumToShape(g: Tensor, shape: readonly number[], op: string): Tensor {
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`backward: ${op} produced a gradient of shape ${formatShape(g.shape)} for an input of shape ${formatShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
    else if (shape[i - lead] !== g.shape[i]) {
      throw new Error(`backward: ${op} produced a gradient of shape ${formatShape(g.shape)} that does not broadcast to its input's shape ${formatShape(shape)}`);
    }
  }
  const keptShape = g.shape.map((s, i) => (axes.includes(i) ? 1 : s));
  const out = empty(g, g.dtype, keptShape);
  g.backend.reduce("sum", g.raw(), axes, out.raw());
  // Same elements in the same order: only the leading broadcast dims disappear.
  const result = new Tensor(out.storage.retain(), [...shape], undefined, 0, true);
  out.dispose();
  return result;
}

/** a + b into a fresh tensor; both handles are consumed. */
function sumInto(a: Tensor, b: Tensor): Tensor {
  const out = empty(a, a.dtype, [...a.shape]);
  a.backend.binary("add", a.raw(), b.raw(), out.raw());
  a.dispose();
  b.dispose();
  return out;
}

function accumulateLeaf(leaf: Tensor, g: Tensor, nonLeaf = false): void {
  if (leaf.isDisposed) {
    g.dispose();
    return;
  }
  if (leaf.grad && !leaf.grad.isDisposed) {
    // In place, as PyTorch does: references to .grad stay valid.
    const grad = leaf.grad;
    grad.backend.binary("add", grad.raw(), g.raw(), grad.raw());
    grad.storage.version++;
    g.dispose();
    return;
  }
  // Take the handle when nothing else shares its storage; otherwise copy, so an in-place update
  // of one .grad never changes another tensor.
  let own = g;
  if (g.storage.refCount > 1 || !g.isContiguous() || g.offset !== 0 || nonLeaf) {
    own = empty(g, g.dtype, [...g.shape]);
    g.backend.copy(g.raw(), own.raw());
    g.dispose();
  }
  leaf.grad = keep(own);
}

function empty(like: Tensor, dtype: Tensor["dtype"], shape: number[]): Tensor {
  let size = 1;
  for (const s of shape) size *= s;
  const b = like.backend;
  return new Tensor(new Storage(b, b.alloc(dtype, size, true), dtype, size), shape, undefined, 0, true);
}

function filled(like: Tensor, value: number): Tensor {
  const t = empty(like, like.dtype, [...like.shape]);
  t.backend.fill(t.raw(), value);
  return t;
}

function alias(t: Tensor): Tensor {
  return new Tensor(t.storage.retain(), t.shape, t.strides, t.offset, true);
}

declare module "../tensor/tensor.js" {
  interface Tensor {
    /** Accumulate d(this)/d(leaf) into every leaf's .grad (grad defaults to 1 for scalars). */
    backward(grad?: Tensor | number | BackwardOptions, opts?: BackwardOptions): void;
  }
}

Tensor.prototype.backward = function (grad?: Tensor | number | BackwardOptions, opts?: BackwardOptions) {
  // backward({ retainGraph: true }) is accepted as shorthand for backward(undefined, {...}).
  if (grad !== undefined && typeof grad === "object" && !(grad instanceof Tensor)) backward(this, undefined, grad);
  else backward(this, grad, opts);
};
