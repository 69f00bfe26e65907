// Entry points of the normalisation kernels (norm.cu): dense operands of one float dtype; the
// per-row and per-channel vectors are dense too (the TypeScript side copies other layouts).

#include "entries.h"
#include "launch.h"

namespace nabla_cuda {

namespace {

/** x is a dense [N, C, ...] view of a float dtype; returns C. */
int64_t channelsOf(const Args& a, const DView& x, const char* name) {
  requireFloat(a, x, name);
  if (x.ndim < 2) a.fail(std::string(name) + " must have shape [N, C, ...], got rank " + std::to_string(x.ndim));
  requireDense(a, x, name);
  return x.shape[1];
}

}  // namespace

napi_value Moments(napi_env env, napi_callback_info info) {
  return guarded(env, "moments", [&]() -> napi_value {
    Args a(env, info, "moments");
    const int64_t rows = a.integer("rows", 0, int64_t(1) << 50), cols = a.integer("cols", 0, int64_t(1) << 50);
    const double eps = a.number("eps");
    const DView x = a.view("x"), mean = a.view("mean"), rstd = a.view("rstd");
    a.finish();
    requireFloat(a, x, "x");
    requireDense(a, x, "x");
    if (x.numel != rows * cols) a.fail("x has " + std::to_string(x.numel) + " elements, expected rows·cols = " + std::to_string(rows) + "·" + std::to_string(cols));
    requireVector(a, mean, "mean", rows, x.dtype);
    requireVector(a, rstd, "rstd", rows, x.dtype);
    launchMoments(x, rows, cols, eps, mean, rstd);
    return nullptr;
  });
}

napi_value ChannelMoments(napi_env env, napi_callback_info info) {
  return guarded(env, "channelMoments", [&]() -> napi_value {
    Args a(env, info, "channelMoments");
    const DView x = a.view("x"), mean = a.view("mean"), variance = a.view("variance");
    a.finish();
    const int64_t C = channelsOf(a, x, "x");
    requireVector(a, mean, "mean", C, x.dtype);
    requireVector(a, variance, "variance", C, x.dtype);
    launchChannelMoments(x, mean, variance);
    return nullptr;
  });
}

napi_value BatchNormApply(napi_env env, napi_callback_info info) {
  return guarded(env, "batchNormApply", [&]() -> napi_value {
    Args a(env, info, "batchNormApply");
    bool hasW = false, hasB = false;
    const DView x = a.view("x"), mean = a.view("mean"), rstd = a.view("rstd");
    const DView w = a.optionalView("weight", hasW), b = a.optionalView("bias", hasB);
    const DView out = a.view("out");
    a.finish();
    const int64_t C = channelsOf(a, x, "x");
    requireSameShape(a, x, "x", out, "out");
    requireSameDtype(a, x, "x", out, "out");
    requireDense(a, out, "out");
    requireVector(a, mean, "mean", C, x.dtype);
    requireVector(a, rstd, "rstd", C, x.dtype);
    if (hasW) requireVector(a, w, "weight", C, x.dtype);
    if (hasB) requireVector(a, b, "bias", C, x.dtype);
    launchBatchNormApply(x, mean, rstd, hasW ? &w : nullptr, hasB ? &b : nullptr, out);
    return nullptr;
  });
}

napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, "batchNormBackward", [&]() -> napi_value {
    Args a(env, info, "batchNormBackward");
    bool hasW = false, hasGW = false, hasGB = false;
    const DView gy = a.view("gy"), x = a.view("x"), mean = a.view("mean"), rstd = a.view("rstd");
    const DView w = a.optionalView("weight", hasW);
    const DView gx = a.view("gx");
    const DView gw = a.optionalView("gWeight", hasGW), gb = a.optionalView("gBias", hasGB);
    a.finish();
    const int64_t C = channelsOf(a, x, "x");
    for (const DView* v : {&gy, &gx}) {
      requireSameShape(a, *v, v == &gy ? "gy" : "gx", x, "x");
      requireSameDtype(a, *v, v == &gy ? "gy" : "gx", x, "x");
      requireDense(a, *v, v == &gy ? "gy" : "gx");
    }
    requireVector(a, mean, "mean", C, x.dtype);
    requireVector(a, rstd, "rstd", C, x.dtype);
    if (hasW) requireVector(a, w, "weight", C, x.dtype);
    if (hasGW) requireVector(a, gw, "gWeight", C, x.dtype);
    if (hasGB) requireVector(a, gb, "gBias", C, x.dtype);
    launchBatchNormBackward(gy, x, mean, rstd, hasW ? &w : nullptr, gx, hasGW ? &gw : nullptr, hasGB ? &gb : nullptr);
    return nullptr;
  });
}

}  // namespace nabla_cuda
