// Run one forward pass and record every module call: which module, its input and output tensors.
// Works for any model (branches, skip connections), not only Sequential, because it wraps each
// module instance's forward for the duration of the pass.

import { Tensor } from "../tensor/tensor.js";
import { zeros } from "../tensor/creation.js";
import type { DType } from "../core/dtype.js";
import { tidy } from "../tensor/scope.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Module } from "../nn/module.js";
import { RNNBase } from "../nn/recurrent.js";
import { RNNCellBase } from "../nn/recurrent-cells.js";
import { PackedSequence } from "../nn/utils/packed-sequence.js";

export interface TracedCall {
  name: string;
  module: Module;
  inputs: Tensor[];
  output: unknown;
  /** Whether the module has submodules (containers and blocks) or is a leaf layer. */
  isLeaf: boolean;
}

/** Input shapes without the batch dimension: one shape, or one per model input. */
export type InputShape = readonly number[] | readonly (readonly number[])[];

export function normalizeInputShapes(where: string, inputShape: InputShape): number[][] {
  if (!Array.isArray(inputShape) || inputShape.length === 0) throw new TypeError(`${where}: inputShape must be an array such as [1, 28, 28] (without the batch dimension)`);
  const shapes = Array.isArray(inputShape[0]) ? (inputShape as number[][]) : [inputShape as number[]];
  for (const s of shapes) {
    if (!s.every((d) => Number.isInteger(d) && d > 0)) throw new RangeError(`${where}: input shape [${s.join(", ")}] must hold positive integers`);
  }
  return shapes.map((s) => [...s]);
}

/**
 * Trace model on zero inputs of batch size 2 (so batch statistics exist), in eval mode and without
 * recording gradients; the model's mode is restored afterwards. `use` runs while the traced
 * tensors are still alive.
 */
export function traceModel<T>(model: Module, inputShapes: number[][], use: (calls: TracedCall[]) => T, where: string, dtype: DType = "float32"): T {
  if (!(model instanceof Module)) throw new TypeError(`${where}: model must be an nb.nn.Module`);
  const calls: TracedCall[] = [];
  const named = model.namedModules();
  const wasTraining = new Map(named.map(([, m]) => [m, m.training]));
  const device = model.parameters()[0]?.device;
  for (const [name, m] of named) {
    const original = m.forward;
    const isLeaf = m.children().length === 0;
    Object.defineProperty(m, "forward", {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function (this: Module, ...args: unknown[]) {
        const out = original.apply(this, args);
        calls.push({ name, module: m, inputs: args.filter((a): a is Tensor => a instanceof Tensor), output: out, isLeaf });
        return out;
      },
    });
  }
  model.eval();
  try {
    return tidy(() => noGrad(() => {
      const inputs = inputShapes.map((s) => zeros([2, ...s], { device, dtype }));
      try {
        model.forward(...inputs);
      } catch (e) {
        throw new Error(`${where}: the model's forward pass failed on input of shape ${inputShapes.map((s) => `[-1, ${s.join(", ")}]`).join(", ")}: ${(e as Error).message}`);
      }
      return use(calls);
    }));
  } finally {
    for (const [, m] of named) delete (m as unknown as { forward?: unknown }).forward;
    for (const [m, t] of wasTraining) m.training = t;
  }
}

/** A shape with its batch dimension (if any: -1 for none) shown as -1. */
export function withBatch(shape: readonly number[], batchDim: number): number[] {
  return shape.map((s, i) => (i === batchDim ? -1 : s));
}

/**
 * The tensor a layer's row describes and where its batch dim is. For a recurrent layer that is its
 * output sequence ([T, N, ·], [N, T, ·] with batchFirst, [T, ·] unbatched, or a PackedSequence's
 * rows), not the final states it also returns; for other layers the output itself (dim 0).
 */
export function mainOutput(m: Module, out: unknown): { tensor: Tensor; batchDim: number } | null {
  if (m instanceof RNNBase && Array.isArray(out)) {
    const seq = out[0];
    if (seq instanceof PackedSequence) return { tensor: seq.data, batchDim: 0 };
    if (seq instanceof Tensor) return { tensor: seq, batchDim: seq.ndim === 3 ? (m.batchFirst ? 0 : 1) : -1 };
    return null;
  }
  // LSTMCell's [h, c]: the row describes h.
  if (m instanceof RNNCellBase && Array.isArray(out) && out[0] instanceof Tensor) return { tensor: out[0], batchDim: out[0].ndim === 2 ? 0 : -1 };
  return out instanceof Tensor ? { tensor: out, batchDim: 0 } : null;
}

/** Where a layer's input has its batch dim (a recurrent layer's [T, N, in] has it at 1). */
export function inputBatchDim(m: Module, input: Tensor): number {
  if (m instanceof RNNBase) return input.ndim === 3 ? (m.batchFirst ? 0 : 1) : -1;
  return 0;
}

/** The output's shape with the batch dimension shown as -1 (several shapes for tuple outputs). */
export function outputShapeOf(out: unknown, m?: Module): number[] | number[][] {
  const main = m ? mainOutput(m, out) : null;
  if (main) return withBatch(main.tensor.shape, main.batchDim);
  if (out instanceof Tensor) return [-1, ...out.shape.slice(1)];
  if (Array.isArray(out)) return out.filter((o): o is Tensor => o instanceof Tensor).map((t) => [-1, ...t.shape.slice(1)]);
  return [];
}
