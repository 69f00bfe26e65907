// nb.io: reading and writing files in other tools' formats.
export { readIdx, readIdxArray, MAX_IDX_BYTES, type IdxArray, type IdxData, type IdxType, type ReadIdxOptions } from "./idx.js";
export { save, load, type SaveOptions, type LoadOptions } from "./save-load.js";
export { parseSafetensors, serializeSafetensors, type SafetensorsContents, type ParseSafetensorsOptions } from "./safetensors.js";
export { SummaryWriter, type SummaryWriterOptions, type HistogramOptions, type ImageOptions, type AddHparamsOptions, type HistogramBins, type HParamValue } from "./tensorboard/index.js";
export { exportOnnx, exportOnnxBytes, importOnnx, importOnnxBytes, OnnxModule, type ExportOnnxOptions } from "./onnx/index.js";
