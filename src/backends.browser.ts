// The backends of the browser build (src/index.browser.ts): the pure-TypeScript cpu backend only.
// The native and cuda addons are Node add-ons (src/backends.ts registers them); leaving them out
// here keeps their loaders, which import node:module and node:fs, out of a browser bundle.

import { registerBackend } from "./backend/registry.js";
import { cpuBackend } from "./backend/cpu/index.js";

registerBackend("cpu", 100, () => cpuBackend);
