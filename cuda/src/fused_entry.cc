// Entry points of the fused kernels an accelerator is good at: optimizer updates of one float32
// parameter (optim.cu) and softmax cross-entropy forward/backward (cross_entropy.cu). They are
// extras beyond the backend contract; src/backend/cuda/fused.ts exposes them.

#include "entries.h"
#include "launch.h"

namespace nabla_cuda {

namespace {

/** Dense float32 operands of the parameter's size. */
void checkLike(const Args& a, const DView& param, const DView& v, const char* name) {
  requireDtype(a, v, name, kFloat32);
  requireDense(a, v, name);
  if (v.numel != param.numel) a.fail(std::string(name) + " has " + std::to_string(v.numel) + " elements, the parameter " + std::to_string(param.numel));
}

}  // namespace

napi_value AdamStep(napi_env env, napi_callback_info info) {
  return guarded(env, "adamStep", [&]() -> napi_value {
    Args a(env, info, "adamStep");
    AdamParams p;
    p.beta1 = a.number("beta1");
    p.oneMinusBeta1 = a.number("1 - beta1");
    p.beta2 = a.number("beta2");
    p.oneMinusBeta2 = a.number("1 - beta2");
    p.decay = a.number("decay");
    p.bias2Sqrt = a.number("bias correction 2");
    p.negStepSize = a.number("step size");
    p.eps = a.number("eps");
    p.decoupled = a.integer("decoupled flag", 0, 1) == 1;
    p.weightDecay = a.integer("weight decay flag", 0, 1) == 1;
    p.maximize = a.integer("maximize flag", 0, 1) == 1;
    bool hasMax = false;
    const DView param = a.view("param"), grad = a.view("grad"), m = a.view("expAvg"), v = a.view("expAvgSq");
    const DView vmax = a.optionalView("maxExpAvgSq", hasMax);
    a.finish();
    p.amsgrad = hasMax;
    checkLike(a, param, param, "param");
    checkLike(a, param, grad, "grad");
    checkLike(a, param, m, "expAvg");
    checkLike(a, param, v, "expAvgSq");
    if (hasMax) checkLike(a, param, vmax, "maxExpAvgSq");
    launchAdam(param, grad, m, v, hasMax ? &vmax : nullptr, p);
    return nullptr;
  });
}

napi_value SgdStep(napi_env env, napi_callback_info info) {
  return guarded(env, "sgdStep", [&]() -> napi_value {
    Args a(env, info, "sgdStep");
    SgdParams p;
    p.weightDecay = a.number("weightDecay");
    p.momentum = a.number("momentum");
    p.oneMinusDampening = a.number("1 - dampening");
    p.negLr = a.number("-lr");
    p.nesterov = a.integer("nesterov flag", 0, 1) == 1;
    p.maximize = a.integer("maximize flag", 0, 1) == 1;
    p.firstStep = a.integer("first step flag", 0, 1) == 1;
    bool hasBuf = false;
    const DView param = a.view("param"), grad = a.view("grad");
    const DView buf = a.optionalView("momentumBuffer", hasBuf);
    a.finish();
    checkLike(a, param, param, "param");
    checkLike(a, param, grad, "grad");
    if (p.momentum != 0 && !hasBuf) a.fail("momentum needs a momentum buffer");
    if (hasBuf) checkLike(a, param, buf, "momentumBuffer");
    launchSgd(param, grad, hasBuf ? &buf : nullptr, p);
    return nullptr;
  });
}

namespace {

/** logits [N, C] and target [N] (int32), both dense; returns N. */
int64_t checkLogits(const Args& a, const DView& logits, const DView& target) {
  requireDtype(a, logits, "logits", kFloat32);
  if (logits.ndim != 2) a.fail("logits must be [N, C], got " + shapeText(logits));
  requireDense(a, logits, "logits");
  requireVector(a, target, "target", logits.shape[0], kInt32);
  return logits.shape[0];
}

}  // namespace

napi_value CrossEntropyForward(napi_env env, napi_callback_info info) {
  return guarded(env, "crossEntropyForward", [&]() -> napi_value {
    Args a(env, info, "crossEntropyForward");
    const int64_t ignoreIndex = a.integer("ignoreIndex", -(int64_t(1) << 52), int64_t(1) << 52);
    const double smoothing = a.number("labelSmoothing");
    const DView logits = a.view("logits"), target = a.view("target"), loss = a.view("loss"), lse = a.view("lse");
    a.finish();
    const int64_t N = checkLogits(a, logits, target);
    if (!(smoothing >= 0 && smoothing <= 1)) a.fail("labelSmoothing must be in [0, 1]");
    requireVector(a, loss, "loss", N, kFloat32);
    requireVector(a, lse, "lse", N, kFloat32);
    launchCrossEntropyForward(logits, target, loss, lse, ignoreIndex, smoothing);
    return nullptr;
  });
}

napi_value CrossEntropyBackward(napi_env env, napi_callback_info info) {
  return guarded(env, "crossEntropyBackward", [&]() -> napi_value {
    Args a(env, info, "crossEntropyBackward");
    const int64_t ignoreIndex = a.integer("ignoreIndex", -(int64_t(1) << 52), int64_t(1) << 52);
    const double smoothing = a.number("labelSmoothing");
    const DView logits = a.view("logits"), target = a.view("target"), lse = a.view("lse"), gy = a.view("gy"), gx = a.view("gx");
    a.finish();
    const int64_t N = checkLogits(a, logits, target);
    if (!(smoothing >= 0 && smoothing <= 1)) a.fail("labelSmoothing must be in [0, 1]");
    requireVector(a, lse, "lse", N, kFloat32);
    requireVector(a, gy, "gy", N, kFloat32);
    requireDtype(a, gx, "gx", kFloat32);
    requireSameShape(a, gx, "gx", logits, "logits");
    requireDense(a, gx, "gx");
    launchCrossEntropyBackward(logits, target, lse, gy, gx, ignoreIndex, smoothing);
    return nullptr;
  });
}

}  // namespace nabla_cuda
