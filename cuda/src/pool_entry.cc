// Entry points of the pooling kernels (pool.cu). The call description is native/src/pool.cc's:
// mode (0 max, 1 average, 2 adaptive average, 3 adaptive max), the spatial rank, the window per
// dim for sliding modes, countIncludePad and divisorOverride for average pooling, then the views.

#include <cmath>

#include "entries.h"
#include "launch.h"

namespace nabla_cuda {

namespace {

PoolParams readParams(Args& a, int mode) {
  PoolParams p;
  p.nd = static_cast<int>(a.integer("spatial dims", 1, 3));
  if (mode == kMaxPool || mode == kAvgPool) {
    for (int i = 0; i < p.nd; i++) {
      p.k[i] = a.integer("kernel", 1, int64_t(1) << 40);
      p.s[i] = a.integer("stride", 1, int64_t(1) << 40);
      p.pb[i] = a.integer("padBefore", 0, int64_t(1) << 40);
      p.pa[i] = a.integer("padAfter", 0, int64_t(1) << 40);
      p.d[i] = a.integer("dilation", 1, int64_t(1) << 40);
    }
  }
  if (mode == kAvgPool) {
    p.countIncludePad = a.integer("countIncludePad", 0, 1) == 1;
    p.divisor = a.number("divisorOverride");
    if (!std::isfinite(p.divisor)) a.fail("divisorOverride must be a finite number");
  }
  return p;
}

/** in [N, C, ...] and out [N, C, ...] of one float dtype, contiguous, nd spatial dims. */
void checkPair(const Args& a, const DView& in, const char* inName, const DView& out, const char* outName, int64_t nd) {
  const std::string ctx = std::string(" (") + inName + " " + shapeText(in) + ", " + outName + " " + shapeText(out) + ")";
  requireFloat(a, in, inName);
  requireSameDtype(a, in, inName, out, outName);
  if (in.ndim != nd + 2 || out.ndim != nd + 2 || in.shape[0] != out.shape[0] || in.shape[1] != out.shape[1])
    a.fail("expected [N, C, ...spatial] operands with " + std::to_string(nd) + " spatial dims and matching N, C" + ctx);
  if (!in.dense() || !out.dense()) a.fail("operands must be contiguous" + ctx);
}

void checkIndices(const Args& a, const DView& indices, const DView& out) {
  if (indices.dtype != kInt32 || !sameShape(indices, out) || !indices.dense())
    a.fail("indices must be a contiguous int32 view of shape " + shapeText(out) + ", got " + dtypeName(indices.dtype) + " " + shapeText(indices));
}

}  // namespace

napi_value Pool(napi_env env, napi_callback_info info) {
  return guarded(env, "pool", [&]() -> napi_value {
    Args a(env, info, "pool");
    const int mode = static_cast<int>(a.integer("mode", 0, 3));
    const PoolParams p = readParams(a, mode);
    const bool isMax = mode == kMaxPool || mode == kAdaptiveMaxPool;
    const DView x = a.view("x"), out = a.view("out");
    DView indices;
    if (isMax) indices = a.view("indices");
    a.finish();
    checkPair(a, x, "x", out, "out", p.nd);
    if (isMax) checkIndices(a, indices, out);
    launchPool(mode, p, x, out, isMax ? &indices : nullptr);
    return nullptr;
  });
}

napi_value PoolBackward(napi_env env, napi_callback_info info) {
  return guarded(env, "avgPoolBackward", [&]() -> napi_value {
    Args a(env, info, "avgPoolBackward");
    const int mode = static_cast<int>(a.integer("mode", 1, 2));
    const PoolParams p = readParams(a, mode);
    const DView gy = a.view("gy"), gx = a.view("gx");
    a.finish();
    checkPair(a, gx, "gx", gy, "gy", p.nd);
    launchPoolBackward(mode, p, gy, gx);
    return nullptr;
  });
}

napi_value MaxPoolBackward(napi_env env, napi_callback_info info) {
  return guarded(env, "maxPoolBackward", [&]() -> napi_value {
    Args a(env, info, "maxPoolBackward");
    const int64_t nd = a.integer("spatial dims", 1, 3);
    const DView gy = a.view("gy"), indices = a.view("indices"), gx = a.view("gx");
    a.finish();
    checkPair(a, gx, "gx", gy, "gy", nd);
    checkIndices(a, indices, gy);
    launchMaxPoolBackward(gy, indices, gx);
    return nullptr;
  });
}

}  // namespace nabla_cuda
