// nb.viz: pictures of training — learning curves as SVG (written as text) and PNG (rasterised).
export {
  learningCurvesSvg, learningCurvesPng, writeLearningCurves, CURVE_COLORS,
  type LearningCurvesOptions, type WriteLearningCurvesOptions,
} from "./learning-curves.js";
export { filters, type FiltersOptions } from "./filters.js";
export { featureMaps, type FeatureMapsOptions } from "./feature-maps.js";
export { writeFirstConvPictures, firstConv } from "./layer-pictures.js";
export type { Colormap } from "./image-grid.js";
export { saveImageGrid, imageGridPng, type ImageGridOptions } from "./save-image.js";
export { lineChartSvg, lineChartPng, type LineChartOptions, type LineSeries } from "./line-chart.js";
export { drawBoxes, drawBoxesPng, saveBoxes, BOX_COLORS, type DrawBoxesOptions } from "./draw-boxes.js";
