// The backends of the browser build (src/index.browser.ts): the pure-TypeScript cpu backend and the
// wasm backend. The native and cuda addons are Node add-ons (src/backends.ts registers them);
// leaving them out here keeps their loaders, which import node:module and node:fs, out of a
// browser bundle. A page's main thread may not compile the wasm module synchronously, so it
// compiles asynchronously from import on; `await nb.backendsReady()` then nb.setBackend("wasm").
// It ranks after cpu, so the default backend never depends on whether that compile has finished.

import { registerBackend } from "./backend/registry.js";
import { cpuBackend } from "./backend/cpu/index.js";
import { compileWasmModule, wasmBackend } from "./backend/wasm/index.js";

registerBackend("cpu", 100, () => cpuBackend);
registerBackend("wasm", 110, () => wasmBackend(cpuBackend), compileWasmModule);
