// The pure-TypeScript backend: every kernel of the contract, on JavaScript-owned typed arrays.
// It is the reference every other backend is tested against, and it runs anywhere JS runs.

import type { Backend } from "../backend.js";
import type { DType, TypedArray } from "../../core/dtype.js";
import { hostPool } from "../host-pool.js";
import { copy, fill, unary, paramUnary, binary, where } from "./elementwise.js";
import { reduce, argReduce } from "./reduce.js";
import { matmul } from "./matmul.js";
import { conv, convBackwardData, convBackwardFilter } from "./conv.js";
import { addConvBias, convBiasGrad } from "../conv-bias.js";
import { reluAfterMaxPool } from "../relu-pool.js";
import {
  maxPool, maxPoolBackward, avgPool, avgPoolBackward,
  adaptiveAvgPool, adaptiveAvgPoolBackward, adaptiveMaxPool,
} from "./pool.js";
import { softmax, softmaxBackward } from "./softmax.js";
import { moments, channelMoments, batchNormApply, batchNormBackward } from "./norm.js";
import { indexSelect, indexAdd, gather, scatterAdd } from "./indexing.js";
import { random } from "./random.js";

export const cpuBackend: Backend = {
  name: "cpu",
  syncReadable: true,
  gcManaged: true,
  // JavaScript owns the memory; freed arrays are recycled by the shared host pool.
  alloc: (dtype: DType, size: number, uninitialized?: boolean) => hostPool.alloc(dtype, size, uninitialized),
  fromHost: (data: TypedArray) => data,
  free: (buf) => hostPool.free(buf as TypedArray),
  readSync: (buf, _dtype, offset, size) => (buf as TypedArray).slice(offset, offset + size),
  read: async (buf, _dtype, offset, size) => (buf as TypedArray).slice(offset, offset + size),
  copy, fill, unary, paramUnary, binary, where,
  reduce, argReduce,
  matmul,
  conv(x, w, out, p, bias) {
    conv(x, w, out, p);
    if (bias) addConvBias(binary, out, bias);
  },
  convBackwardData,
  convBackwardFilter(x, gy, gw, p, gb) {
    convBackwardFilter(x, gy, gw, p);
    if (gb) convBiasGrad(reduce, gy, gb);
  },
  maxPool(x, out, indices, p, afterRelu) {
    maxPool(x, out, indices, p);
    if (afterRelu) reluAfterMaxPool(cpuBackend, out, indices);
  },
  maxPoolBackward, avgPool, avgPoolBackward, adaptiveAvgPool, adaptiveAvgPoolBackward, adaptiveMaxPool,
  softmax, softmaxBackward,
  moments, channelMoments, batchNormApply, batchNormBackward,
  indexSelect, indexAdd, gather, scatterAdd,
  random,
};

