// softmax and logSoftmax along one dimension, through the backend's stable kernels, with gradients
// through its backward kernel (torch.softmax / torch.log_softmax).

import { Tensor } from "../tensor/tensor.js";
import { normalizeDim } from "../core/shape.js";
import { record } from "../autograd/node.js";
import { assertFloating, assertTensor, empty } from "./util.js";
import { traceable } from "../graph/recorder.js";

function softmaxImpl(op: "softmax" | "logSoftmax", x: Tensor, dim: number): Tensor {
  assertTensor(op, x);
  if (dim === undefined || dim === null) {
    throw new TypeError(`${op}: dim is required (the dimension to normalise over, e.g. -1 for the last one)`);
  }
  assertFloating(op, x);
  const log = op === "logSoftmax";
  const axis = normalizeDim(op, dim, x.ndim);
  const out = empty(x.shape, x.dtype, x.backend);
  x.backend.softmax(x.raw(), axis, out.raw(), log);
  return record(log ? "LogSoftmaxBackward" : "SoftmaxBackward", [x], out, (g, [y]) => {
    const gx = empty(y.shape, y.dtype, y.backend);
    y.backend.softmaxBackward(y.raw(), g.raw(), axis, gx.raw(), log);
    return [gx];
  }, [out]);
}

/** exp(x) / Σ exp(x) along dim, computed stably (the maximum is subtracted first). */
export const softmax = traceable("softmax", function softmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl("softmax", x, dim);
});

/** x − log Σ exp(x) along dim: the log of softmax without its overflow or underflow. */
export const logSoftmax = traceable("logSoftmax", function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl("logSoftmax", x, dim);
});

declare module "../tensor/tensor.js" {
  interface Tensor {
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
  }
}

Tensor.prototype.softmax = function (dim) { return softmax(this, dim); };
Tensor.prototype.logSoftmax = function (dim) { return logSoftmax(this, dim); };
