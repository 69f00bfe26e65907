// Selective search (Uijlings, van de Sande, Gevers & Smeulders 2013, "Selective Search for Object
// Recognition"): the region proposals of R-CNN. No single grouping finds every object, so it
// diversifies: each strategy (a colour space, a Felzenszwalb–Huttenlocher scale k and a
// combination of similarities) segments the image and groups the segments hierarchically, and
// every region of every hierarchy is a proposal. Proposals are ranked as in the paper (section
// 3.3): within a hierarchy, position 1 is the region covering the image, larger regions first;
// each position is multiplied by a random number in [0, 1] (a fixed seed: the result is
// deterministic), so large regions come early without one strategy dominating; the ranked list
// keeps the first of identical boxes.

import { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../tensor/creation.js";
import { checkOptions, describe, optionNames } from "../../core/options.js";
import { philoxFill } from "../../core/philox.js";
import { checkImage } from "./check-image.js";
import { convertColourSpace, type ColourSpace } from "./colour-spaces.js";
import { checkSegmentationOptions, imageGraph, segmentEdges } from "./graph-segmentation.js";
import { colourBinIndices, initialRegions, neighbourPairs, textureBinIndices, type Region } from "./region-features.js";
import { combination, similarity } from "./similarity.js";
import { hierarchicalGrouping } from "./hierarchical-grouping.js";

export type SelectiveSearchMode = "single" | "fast" | "quality";

export interface SelectiveSearchOptions {
  /**
   * The paper's strategy sets: "single" (HSV, k = 100, C+T+S+F), "fast" (default: HSV and Lab,
   * k = 50 and 100, C+T+S+F and T+S+F: 8 strategies) or "quality" (HSV, Lab, rgI, H and I,
   * k = 50, 100, 150, 300, C+T+S+F, T+S+F, F and S: 80 strategies).
   */
  mode?: SelectiveSearchMode;
  /** Smallest segment of the initial segmentation, in pixels. Default: k (as the paper's code). */
  minSize?: number;
  /** Keep at most this many proposals (the best ranked). Default: all. */
  maxProposals?: number;
  /** Smoothing of the segmentation. Default 0.8. */
  sigma?: number;
}

export const SELECTIVE_SEARCH_OPTIONS = optionNames<SelectiveSearchOptions>({ mode: 1, minSize: 1, maxProposals: 1, sigma: 1 });

interface StrategySet {
  colourSpaces: readonly ColourSpace[];
  ks: readonly number[];
  similarities: readonly string[];
}

/** Table 5 of the paper: the diversification of each mode. */
export const SELECTIVE_SEARCH_STRATEGIES: Readonly<Record<SelectiveSearchMode, StrategySet>> = {
  single: { colourSpaces: ["HSV"], ks: [100], similarities: ["C+T+S+F"] },
  fast: { colourSpaces: ["HSV", "Lab"], ks: [50, 100], similarities: ["C+T+S+F", "T+S+F"] },
  quality: { colourSpaces: ["HSV", "Lab", "rgI", "H", "I"], ks: [50, 100, 150, 300], similarities: ["C+T+S+F", "T+S+F", "F", "S"] },
};

/** The fixed seed of the ranking's random factors. */
const RANKING_SEED = 0x5e1ec7n;

/**
 * Object proposals for an RGB image [3, H, W] with values in [0, 1]: float32 boxes [K, 4]
 * (x1, y1, x2, y2) in pixel-edge coordinates (a region spanning columns 3..7 is x1 = 3, x2 = 8),
 * best ranked first, no two identical.
 */
export function selectiveSearch(image: Tensor, opts: SelectiveSearchOptions = {}): Tensor {
  const op = "selectiveSearch";
  checkOptions(op, opts, SELECTIVE_SEARCH_OPTIONS);
  const mode = opts.mode ?? "fast";
  if (!(mode in SELECTIVE_SEARCH_STRATEGIES)) throw new RangeError(`${op}: mode must be "single", "fast" or "quality", got ${describe(mode)}`);
  const maxProposals = opts.maxProposals ?? Infinity;
  if (maxProposals !== Infinity && (!Number.isInteger(maxProposals) || maxProposals < 1)) {
    throw new RangeError(`${op}: maxProposals must be a positive integer, got ${String(opts.maxProposals)}`);
  }
  const { channels: rgb, width, height } = checkImage(op, image, 3);
  const strategies = SELECTIVE_SEARCH_STRATEGIES[mode];
  for (const k of strategies.ks) checkSegmentationOptions(op, k, opts.sigma ?? 0.8, opts.minSize ?? k);
  const sigma = opts.sigma ?? 0.8;
  const imageSize = width * height;

  const hierarchies: Region[][] = [];
  for (const space of strategies.colourSpaces) {
    const channels = convertColourSpace(rgb, space);
    const colourBins = colourBinIndices(channels);
    const textureBins = textureBinIndices(channels, width, height);
    // The smoothing and the sorted edges depend on the colour space only; each k reuses them.
    const graph = imageGraph(channels, width, height, sigma);
    for (const k of strategies.ks) {
      const seg = segmentEdges(graph, k, opts.minSize ?? k);
      const regions = initialRegions(seg, colourBins, textureBins);
      const pairs = neighbourPairs(seg);
      for (const notation of strategies.similarities) {
        const c = combination(notation);
        hierarchies.push(hierarchicalGrouping(regions, pairs, (a, b) => similarity(a, b, c, imageSize)));
      }
    }
  }
  return rankProposals(hierarchies, maxProposals);
}

/** Rank every hierarchy's regions by position × a random factor, drop duplicate boxes, keep the best. */
function rankProposals(hierarchies: readonly Region[][], maxProposals: number): Tensor {
  const total = hierarchies.reduce((n, h) => n + h.length, 0);
  const random = new Float64Array(total);
  philoxFill(random, "uniform", RANKING_SEED, 0n);
  const priority = new Float64Array(total);
  const regions: Region[] = [];
  for (const h of hierarchies) {
    for (let i = 0; i < h.length; i++) {
      const r = regions.length;
      // Position 1 is the last region formed (the whole image); random factors in (0, 1].
      priority[r] = (1 - random[r]) * (h.length - i);
      regions.push(h[i]);
    }
  }
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => priority[a] - priority[b] || a - b);
  const seen = new Set<string>();
  const boxes: number[] = [];
  for (const i of order) {
    if (boxes.length / 4 >= maxProposals) break;
    const r = regions[i];
    const key = `${r.minX},${r.minY},${r.maxX},${r.maxY}`;
    if (seen.has(key)) continue;
    seen.add(key);
    boxes.push(r.minX, r.minY, r.maxX + 1, r.maxY + 1);
  }
  return tensor(Float32Array.from(boxes), { shape: [boxes.length / 4, 4] });
}
