// Copies of a module tree whose modules are new objects (free to be replaced, or put in another
// mode), either sharing every tensor with the original or holding clones of them.

import { Tensor } from "../tensor/tensor.js";
import { keep } from "../tensor/scope.js";
import { noGrad } from "../autograd/grad-mode.js";
import { clone } from "../ops/view.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";

/** Copy one field's value: modules recursively, tensors by `copyTensor`, arrays element by element, sets anew. */
function copyValue(v: unknown, copyModule: (m: Module) => Module, copyTensor: (t: Tensor) => Tensor): unknown {
  if (v instanceof Module) return copyModule(v);
  if (v instanceof Tensor) return copyTensor(v);
  if (Array.isArray(v) && v.some((e) => e instanceof Module || e instanceof Tensor)) return v.map((e) => copyValue(e, copyModule, copyTensor));
  if (v instanceof Set) return new Set(v);
  return v;
}

function copyTree(root: Module, copyTensor: (t: Tensor) => Tensor): Module {
  const copies = new Map<Module, Module>();
  const copyModule = (m: Module): Module => {
    const done = copies.get(m);
    if (done) return done;
    const copy = Object.create(Object.getPrototypeOf(m)) as Record<string, unknown>;
    copies.set(m, copy as unknown as Module);
    for (const [k, v] of Object.entries(m)) copy[k] = copyValue(v, copyModule, copyTensor);
    return copy as unknown as Module;
  };
  return copyModule(root);
}

/**
 * A copy of the module tree that shares every parameter and buffer with the original (so training
 * one trains the other) but whose modules are new objects, free to be replaced or put in eval mode.
 */
export function shareStateCopy(m: Module): Module {
  return copyTree(m, (t) => t);
}

/**
 * A copy of the module tree holding clones of every tensor (a parameter reached twice is cloned
 * once, so tied weights stay tied): nothing in it changes when the original does, or the reverse.
 * Parameters are cloned as parameters with `requiresGrad` as given.
 */
export function cloneStateCopy(m: Module, opts: { requiresGrad: boolean }): Module {
  const clones = new Map<Tensor, Tensor>();
  return noGrad(() => copyTree(m, (t) => {
    let c = clones.get(t);
    if (!c) {
      const data = clone(t);
      c = keep(t instanceof Parameter ? new Parameter(data, opts.requiresGrad) : data);
      if (c !== data) data.dispose();
      clones.set(t, c);
    }
    return c;
  }));
}
