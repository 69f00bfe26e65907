// The wasm backend: the hot kernels (GEMM, 1-d/2-d convolution, pooling, exact elementwise ops,
// the fused optimizer and cross-entropy entries) compiled from wasm/src to WebAssembly with SIMD,
// for browsers and for Node where the native addon is unavailable. Like the native backend it
// keeps the host (cpu) backend's typed-array storage and runs the host's kernels for everything it
// does not override, so tensors move between "cpu" and "wasm" without copies. Single-threaded.

import type { Backend } from "../backend.js";
import { wasmKernels } from "./kernels.js";
import { instantiateWasm } from "./module.js";

export { compileWasmModule } from "./module.js";

let backend: Backend | null = null;

/** The wasm backend object (throws with the reason when WebAssembly or its SIMD is unavailable). */
export function wasmBackend(host: Backend): Backend {
  if (backend) return backend;
  const kernels = wasmKernels(instantiateWasm(), host);
  backend = { ...host, name: "wasm", ...kernels };
  return backend;
}
