// Selective search and the graph-based segmentation it starts from.
export { selectiveSearch, SELECTIVE_SEARCH_STRATEGIES, type SelectiveSearchMode, type SelectiveSearchOptions } from "./selective-search.js";
export { felzenszwalbSegmentation, type SegmentationOptions } from "./graph-segmentation.js";
export type { ColourSpace } from "./colour-spaces.js";
