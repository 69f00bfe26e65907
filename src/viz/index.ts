// nb.viz: pictures of training — learning curves as SVG (written as text) and PNG (rasterised).
export {
  learningCurvesSvg, learningCurvesPng, writeLearningCurves, CURVE_COLORS,
  type LearningCurvesOptions, type WriteLearningCurvesOptions,
} from "./learning-curves.js";
