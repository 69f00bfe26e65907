// Reduction ONNX operators. Axes are an attribute until opset 13 (ReduceSum) or 18 (the others)
// and an input after; keepdims defaults to 1; no axes means every axis (or none, with
// noop_with_empty_axes).

import type { Tensor } from "../../../tensor/tensor.js";
import { sum, mean, max, min, prod, logsumexp, argmax, argmin } from "../../../ops/reduce.js";
import { cast } from "../../../ops/elementwise.js";
import { axisOf } from "./host.js";
import { axesOf } from "./shape.js";
import type { OpHandler } from "./registry.js";

type Reducer = (x: Tensor, dims: number[], keepdim: boolean) => Tensor;

function reduceOp(f: Reducer, axesInputSince: number): OpHandler {
  return {
    run: ([x, ax], a, ctx) => {
      const keep = a.int("keepdims", 1) === 1;
      let axes = axesOf(a, ax, ctx.opset >= axesInputSince);
      if (!axes || axes.length === 0) {
        if (a.int("noop_with_empty_axes", 0) === 1) return x!;
        axes = [...x!.shape.keys()];
      }
      return f(x!, axes.map((d) => axisOf(d, x!.ndim)), keep);
    },
  };
}

function argOp(f: (x: Tensor, dim: number, keepdim: boolean) => Tensor): OpHandler {
  return {
    check: (a) => {
      if (a.int("select_last_index", 0) === 1) throw new Error("select_last_index=1");
    },
    run: ([x], a) => cast(f(x!, axisOf(a.int("axis", 0), x!.ndim), a.int("keepdims", 1) === 1), "int32"),
  };
}

export const REDUCE_OPS: Record<string, OpHandler> = {
  ReduceSum: reduceOp((x, d, k) => sum(x, d, k), 13),
  ReduceMean: reduceOp((x, d, k) => mean(x, d, k), 18),
  ReduceMax: reduceOp((x, d, k) => max(x, d, k), 18),
  ReduceMin: reduceOp((x, d, k) => min(x, d, k), 18),
  ReduceProd: reduceOp((x, d, k) => d.reduce((acc, dim, i) => prod(acc, dim - (k ? 0 : i), k), x), 18),
  ReduceLogSumExp: reduceOp((x, d, k) => logsumexp(x, d, k), 18),
  ArgMax: argOp((x, d, k) => argmax(x, d, k)),
  ArgMin: argOp((x, d, k) => argmin(x, d, k)),
};
