// nabla's public surface: `import * as nb from "nabla"` (Node). The browser build is
// src/index.browser.ts; what both share is src/index.common.ts.

import "./backends.js";

export * from "./index.common.js";
export { cuda } from "./backend/cuda/index.js";
export * as distributed from "./distributed/index.js";
export * as io from "./io/index.js";
export * as datasets from "./datasets/index.js";
export { save, load } from "./io/save-load.js";
export { fit, evaluate, predict, callbacks, diagnose, type FitOptions, type History, type EvaluateOptions, type Diagnosis, type DiagnoseOptions } from "./train/index.js";
export * as viz from "./viz/index.js";
