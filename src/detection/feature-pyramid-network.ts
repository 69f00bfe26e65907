// Feature Pyramid Network (Lin et al. 2017; torchvision.ops.FeaturePyramidNetwork): from the
// backbone's maps C2..C5 (finest first), a top-down path — a 1x1 lateral convolution of each
// map (inner_blocks) plus the coarser level upsampled ×2 by nearest neighbour — then a 3x3
// convolution per level (layer_blocks); LastLevelMaxPool adds "pool", a stride-2 subsampling
// of the coarsest output (P6 for the RPN). Every output has outChannels channels.

import { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Module } from "../nn/module.js";
import { ModuleList, Sequential } from "../nn/containers.js";
import { Conv2d } from "../nn/conv.js";
import * as init from "../nn/init.js";
import { add } from "../ops/elementwise.js";
import { interpolate } from "../ops/interpolate.js";
import { maxPool2d } from "../ops/pool.js";
import { convBlock } from "./conv-block.js";

/** torchvision's LastLevelMaxPool: appends max_pool2d(last, kernel 1, stride 2) as "pool". */
export class LastLevelMaxPool extends Module {
  forward(results: Tensor[], names: string[]): { results: Tensor[]; names: string[] } {
    return { results: [...results, maxPool2d(results[results.length - 1], 1, { stride: 2, padding: 0 })], names: [...names, "pool"] };
  }
}

export class FeaturePyramidNetwork extends Module {
  readonly inner_blocks: ModuleList;
  readonly layer_blocks: ModuleList;
  readonly extra_blocks: LastLevelMaxPool | null;

  constructor(inChannelsList: readonly number[], outChannels: number, extraBlocks: LastLevelMaxPool | null = new LastLevelMaxPool()) {
    super();
    if (inChannelsList.some((c) => !(c > 0))) throw new RangeError(`FeaturePyramidNetwork: every in_channels must be positive, got ${JSON.stringify(inChannelsList)}`);
    this.inner_blocks = new ModuleList(inChannelsList.map((c) => convBlock(c, outChannels, 1, false)));
    this.layer_blocks = new ModuleList(inChannelsList.map(() => convBlock(outChannels, outChannels, 3, false)));
    this.extra_blocks = extraBlocks;
    noGrad(() => {
      for (const m of this.modules()) {
        if (!(m instanceof Conv2d)) continue;
        init.kaimingUniform(m.weight, { a: 1 });
        if (m.bias) init.zeros(m.bias);
      }
    });
  }

  /** Maps named as the backbone names them (finest first) → the pyramid, same names (+ "pool"). */
  forward(x: Map<string, Tensor>): Map<string, Tensor> {
    const names = [...x.keys()];
    const maps = [...x.values()];
    if (maps.length !== this.inner_blocks.length) {
      throw this.layerError(`FeaturePyramidNetwork: expected ${this.inner_blocks.length} feature maps, got ${maps.length}`);
    }
    const inner = (i: number, t: Tensor) => (this.inner_blocks.at(i) as Sequential).forward(t) as Tensor;
    const layer = (i: number, t: Tensor) => (this.layer_blocks.at(i) as Sequential).forward(t) as Tensor;
    let last = inner(maps.length - 1, maps[maps.length - 1]);
    const results = [layer(maps.length - 1, last)];
    for (let i = maps.length - 2; i >= 0; i--) {
      const lateral = inner(i, maps[i]);
      const topDown = interpolate(last, { size: lateral.shape.slice(-2), mode: "nearest" });
      last = add(lateral, topDown);
      results.unshift(layer(i, last));
    }
    const out = this.extra_blocks ? this.extra_blocks.forward(results, names) : { results, names };
    return new Map(out.names.map((n, i) => [n, out.results[i]]));
  }
}
