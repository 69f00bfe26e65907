// tidy() scopes and the garbage-collection safety net. Every tensor is registered in the innermost
// open scope when created; when the scope ends, the ones not returned (or kept) are disposed.

import type { Storage } from "./storage.js";

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];

export function track(t: Disposable): void {
  if (scopes.length > 0) scopes[scopes.length - 1].add(t);
}

/** Take a tensor out of every enclosing tidy scope so it outlives them (optimizer state, .grad). */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

export function isTidying(): boolean {
  return scopes.length > 0;
}

/**
 * Run fn and dispose every tensor it created that is not part of its result. Tensors in the
 * result (a tensor, or arrays/objects of them) move to the enclosing scope, if any.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    throw new TypeError("tidy: the function returned a Promise; tidy scopes are synchronous (await outside, or dispose tensors yourself)");
  }
  const returned = new Set<Disposable>();
  collect(result, returned, 0);
  for (const t of scope) {
    if (returned.has(t)) track(t);
    else t.dispose();
  }
  return result;
}

function collect(value: unknown, into: Set<Disposable>, depth: number): void {
  if (value === null || typeof value !== "object" || depth > 8) return;
  if (isDisposable(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, into, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collect(v, into, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, into, depth + 1);
}

function isDisposable(v: object): v is Disposable {
  return typeof (v as Disposable).dispose === "function" && "isDisposed" in v;
}

/** Frees storage of tensors the program dropped without disposing them. */
export const finalizer = new FinalizationRegistry<Storage>((storage) => storage.release());
