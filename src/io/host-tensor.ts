// Tensors made from freshly built host arrays, handed to the backend without another copy.

import type { Backend } from "../backend/backend.js";
import { activeBackend } from "../backend/registry.js";
import { dtypeOfArray, type TypedArray } from "../core/dtype.js";
import { Storage } from "../tensor/storage.js";
import { Tensor } from "../tensor/tensor.js";

/** A contiguous tensor that adopts `data` (the caller must not touch `data` afterwards). */
export function tensorFromOwnedArray(data: TypedArray, shape: number[], backend: Backend = activeBackend()): Tensor {
  const dtype = dtypeOfArray(data);
  return new Tensor(new Storage(backend, backend.fromHost(data), dtype, data.length), shape);
}
