// Entry points of the reductions (reduce.cu) and of softmax (softmax.cu).

#include "entries.h"
#include "launch.h"
#include "ops.h"

namespace nabla_cuda {

napi_value Reduce(napi_env env, napi_callback_info info) {
  return guarded(env, "reduce", [&]() -> napi_value {
    Args a(env, info, "reduce");
    const int op = static_cast<int>(a.integer("op", 0, static_cast<int>(ReduceOp::count) - 1));
    const int64_t naxes = a.integer("axis count", 0, kMaxDims);
    int64_t axes[kMaxDims];
    for (int64_t i = 0; i < naxes; i++) axes[i] = a.integer("axis", 0, kMaxDims - 1);
    const DView x = a.view("x"), out = a.view("out");
    a.finish();
    bool reduced[kMaxDims] = {};
    for (int64_t i = 0; i < naxes; i++) {
      if (axes[i] >= x.ndim) a.fail("axis " + std::to_string(axes[i]) + " is out of range for x of rank " + std::to_string(x.ndim));
      if (reduced[axes[i]]) a.fail("axis " + std::to_string(axes[i]) + " is listed twice");
      reduced[axes[i]] = true;
    }
    bool ok = out.ndim == x.ndim;
    for (int d = 0; ok && d < x.ndim; d++) ok = out.shape[d] == (reduced[d] ? 1 : x.shape[d]);
    if (!ok) a.fail("out " + shapeText(out) + " must be x's shape " + shapeText(x) + " with the reduced axes set to 1");
    const bool extremum = op == static_cast<int>(ReduceOp::max) || op == static_cast<int>(ReduceOp::min);
    if (extremum && x.numel == 0 && out.numel > 0) a.fail("cannot reduce over a zero-size dimension (the result has no identity)");
    launchReduce(op, x, reduced, out);
    return nullptr;
  });
}

napi_value ArgReduce(napi_env env, napi_callback_info info) {
  return guarded(env, "argReduce", [&]() -> napi_value {
    Args a(env, info, "argReduce");
    const bool isMax = a.integer("argmax flag", 0, 1) == 1;
    const int axis = static_cast<int>(a.integer("axis", 0, kMaxDims - 1));
    const DView x = a.view("x"), out = a.view("out");
    a.finish();
    if (axis >= x.ndim) a.fail("axis " + std::to_string(axis) + " is out of range for x of rank " + std::to_string(x.ndim));
    requireDtype(a, out, "out", kInt32);
    bool ok = out.ndim == x.ndim;
    for (int d = 0; ok && d < x.ndim; d++) ok = out.shape[d] == (d == axis ? 1 : x.shape[d]);
    if (!ok) a.fail("out " + shapeText(out) + " must be x's shape " + shapeText(x) + " with dimension " + std::to_string(axis) + " set to 1");
    if (x.shape[axis] == 0) a.fail("cannot take the arg-extremum over a zero-size dimension " + std::to_string(axis));
    launchArgReduce(isMax, x, axis, out);
    return nullptr;
  });
}

namespace {

int readAxis(Args& a, const DView& v, int64_t axis) {
  if (v.ndim == 0 ? axis != 0 : axis >= v.ndim) a.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(v.ndim));
  return static_cast<int>(axis);
}

}  // namespace

napi_value Softmax(napi_env env, napi_callback_info info) {
  return guarded(env, "softmax", [&]() -> napi_value {
    Args a(env, info, "softmax");
    const int64_t axis = a.integer("axis", 0, kMaxDims - 1);
    const bool log = a.integer("log flag", 0, 1) == 1;
    const DView x = a.view("x"), out = a.view("out");
    a.finish();
    requireFloat(a, x, "x");
    requireSameDtype(a, x, "x", out, "out");
    requireSameShape(a, x, "x", out, "out");
    launchSoftmax(x, readAxis(a, x, axis), out, log);
    return nullptr;
  });
}

napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  return guarded(env, "softmaxBackward", [&]() -> napi_value {
    Args a(env, info, "softmaxBackward");
    const int64_t axis = a.integer("axis", 0, kMaxDims - 1);
    const bool log = a.integer("log flag", 0, 1) == 1;
    const DView y = a.view("y"), gy = a.view("gy"), gx = a.view("gx");
    a.finish();
    requireFloat(a, y, "y");
    requireSameDtype(a, y, "y", gy, "gy");
    requireSameDtype(a, y, "y", gx, "gx");
    requireSameShape(a, y, "y", gy, "gy");
    requireSameShape(a, y, "y", gx, "gx");
    launchSoftmaxBackward(y, gy, readAxis(a, y, axis), gx, log);
    return nullptr;
  });
}

}  // namespace nabla_cuda
