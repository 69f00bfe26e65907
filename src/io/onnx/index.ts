// ONNX export (trace a model into an ONNX graph) and import (run an ONNX graph as a Module).
export { exportOnnx, exportOnnxBytes, EXPORT_EMITTERS, type ExportOnnxOptions } from "./export-onnx.js";
export { importOnnx, importOnnxBytes, IMPORT_OPS } from "./import-onnx.js";
export { OnnxModule } from "./onnx-module.js";
