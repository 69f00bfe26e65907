// nabla's browser build: what `import * as nb from "nabla"` resolves to in a bundler targeting
// browsers (package.json's "browser" export condition). The same surface as src/index.ts, less
// what needs Node: only the cpu backend (no native/cuda addons, no nb.cuda), no file formats or
// file writers (nb.io, nb.save, nb.viz, the file datasets of nb.datasets, the ModelCheckpoint,
// CSVLogger and TensorBoard callbacks). Files come in as bytes: nb.load(bytes) reads safetensors,
// nb.safetensors parses and serializes them, fit({resumeFrom}) takes a checkpoint's bytes.
// test/browser/bundle.test.ts bundles this for a browser and checks that no Node module is left.

import "./backends.browser.js";

export * from "./index.common.js";
export { loadFromBytes as load, type LoadOptions } from "./io/load-bytes.js";
export { fit, evaluate, predict, callbacks, diagnose, type FitOptions, type History, type EvaluateOptions, type Diagnosis, type DiagnoseOptions } from "./train/browser.js";
