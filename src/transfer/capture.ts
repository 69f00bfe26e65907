// Read what one named module of a model receives or returns during a forward pass — the "CNN
// codes" a classifier head sees, or a layer's feature maps — by wrapping that module instance's
// forward for the duration of one call. The pass stops as soon as the value is captured, so
// nothing after the layer is computed.

import { Tensor } from "../tensor/tensor.js";
import { keep, track } from "../tensor/scope.js";
import { Module } from "../nn/module.js";
import { editDistance } from "../core/options.js";

/** Thrown through the model's forward once the wanted value is in hand. */
class CaptureDone extends Error {}

/** The module called `name` in model.namedModules(), or an error that lists what there is. */
export function moduleNamed(model: Module, name: string, where: string): Module {
  if (typeof name !== "string" || name === "") throw new TypeError(`${where}: a layer name is required (a dotted name from model.namedModules(), e.g. "conv1" or "features.0")`);
  const found = model.namedModules().find(([n]) => n === name);
  if (found) return found[1];
  throw new RangeError(`${where}: the model has no module named "${name}"; ${describeNames(model, name)}`);
}

/** A hint for a wrong layer name: names containing it, else the top-level children. */
export function describeNames(model: Module, wanted: string): string {
  const names = model.namedModules().map(([n]) => n).filter((n) => n !== "");
  const w = wanted.toLowerCase();
  const close = names.filter((n) => {
    const l = n.toLowerCase();
    return l.includes(w) || w.includes(l) || editDistance(l, w) <= Math.max(1, Math.floor(w.length / 4));
  });
  const list = close.length ? close : model.namedChildren().map(([n]) => n);
  const shown = list.slice(0, 12).map((n) => `"${n}"`).join(", ");
  return `${close.length ? "did you mean" : "its top-level modules are"} ${shown}${list.length > 12 ? ", ..." : ""}`;
}


/**
 * Run `model.forward(...inputs)` until the module called `name` is first called and return its
 * first input (`what: "input"`) or its output (`"output"`). The model's mode, gradient recording
 * and any wrapper already on the module are left as they were.
 */
export function captureActivation(model: Module, name: string, inputs: unknown[], what: "input" | "output", where: string): Tensor {
  const target = moduleNamed(model, name, where);
  const own = Object.getOwnPropertyDescriptor(target, "forward");
  const original = target.forward;
  let captured: Tensor | null = null;
  let problem: string | null = null;
  Object.defineProperty(target, "forward", {
    configurable: true,
    writable: true,
    enumerable: false,
    value(this: Module, ...args: unknown[]) {
      const value = what === "input" ? args[0] : original.apply(this, args);
      if (value instanceof Tensor) captured = value;
      else problem = `the ${what} of "${name}" is ${Array.isArray(value) ? "an array" : typeof value}, not a Tensor`;
      // Keep the value past any tidy scope inside the model that the early exit unwinds.
      if (captured) keep(captured);
      throw new CaptureDone();
    },
  });
  try {
    model.forward(...inputs);
  } catch (e) {
    if (!(e instanceof CaptureDone)) throw e;
  } finally {
    if (own) Object.defineProperty(target, "forward", own);
    else delete (target as unknown as { forward?: unknown }).forward;
  }
  if (problem) throw new TypeError(`${where}: ${problem}`);
  if (!captured) throw new Error(`${where}: module "${name}" was not called during the model's forward pass`);
  const out: Tensor = captured;
  track(out);
  return out;
}
