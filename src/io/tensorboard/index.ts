// TensorBoard event files: nb.io.SummaryWriter and the pieces it is built from.
export { SummaryWriter, type SummaryWriterOptions, type HistogramOptions, type ImageOptions, type AddHparamsOptions } from "./summary-writer.js";
export { crc32c, maskedCrc32c } from "./crc32c.js";
export { TENSORFLOW_BUCKET_EDGES, type HistogramBins } from "./histogram.js";
export type { HParamValue } from "./hparams.js";
