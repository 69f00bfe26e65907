// Helpers for shape arithmetic in imported graphs: int tensors read on the host, small int tensors made.

import { Tensor } from "../../../tensor/tensor.js";
import { tensor } from "../../../tensor/creation.js";
import { UnsupportedOnnx } from "./registry.js";

/** The values of an int (or float) tensor as JavaScript numbers. */
export function ints(t: Tensor | null, what: string): number[] {
  if (!t) throw new UnsupportedOnnx(`${what} is missing`);
  return Array.from(t.dataSync(), Number);
}

export function intTensor(values: readonly number[], shape: readonly number[] = [values.length]): Tensor {
  return tensor(Int32Array.from(values), { shape });
}

/** An axis made non-negative. */
export const axisOf = (a: number, ndim: number): number => (a < 0 ? a + ndim : a);
