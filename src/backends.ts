// The backends nabla ships, registered once by the package entry (src/index.ts). Backends import
// only core/ and the contract, so this is the one place that knows all three and wires the host
// backend (cpu: typed-array storage, every kernel) under the two addons, which run on it what they
// do not cover. Lower priority is preferred as the default; the registry loads each lazily and
// records a thrown error as the reason it is unavailable.

import { registerBackend } from "./backend/registry.js";
import { cpuBackend } from "./backend/cpu/index.js";
import { nativeBackend } from "./backend/native/index.js";
import { cudaBackend } from "./backend/cuda/index.js";

registerBackend("cuda", 20, () => cudaBackend(cpuBackend));
registerBackend("native", 50, () => nativeBackend(cpuBackend));
registerBackend("cpu", 100, () => cpuBackend);
