// The backends nabla ships, registered once by the package entry (src/index.ts). Backends import
// only core/ and the contract, so this is the one place that knows all four and wires the host
// backend (cpu: typed-array storage, every kernel) under the two addons and wasm, which run on it
// what they do not cover. Lower priority is preferred as the default; the registry loads each
// lazily and records a thrown error as the reason it is unavailable.

import { registerBackend } from "./backend/registry.js";
import { cpuBackend } from "./backend/cpu/index.js";
import { nativeBackend } from "./backend/native/index.js";
import { cudaBackend } from "./backend/cuda/index.js";
import { wasmBackend } from "./backend/wasm/index.js";

registerBackend("cuda", 20, () => cudaBackend(cpuBackend));
registerBackend("native", 50, () => nativeBackend(cpuBackend));
registerBackend("cpu", 100, () => cpuBackend);
// wasm ranks after cpu: opt in with nb.setBackend("wasm") or NABLA_BACKEND=wasm (faster than cpu
// where native is not built), so a machine without the addon keeps the reference backend.
registerBackend("wasm", 110, () => wasmBackend(cpuBackend));
