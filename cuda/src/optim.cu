// Fused optimizer updates of one float32 parameter: Adam/AdamW (with AMSGrad, maximize, coupled
// or decoupled weight decay) and SGD (momentum, dampening, Nesterov, weight decay), one pass over
// the parameter instead of the composite update's ten or so elementwise kernels. Every step rounds
// to float32 where the composite ops (src/optim/adam.ts, sgd.ts on float32 tensors) round, with
// the __f*_rn intrinsics so nvcc cannot contract a multiply and an add into one FMA: the result is
// the composite update's, bit for bit.

#include <cmath>

#include "context.h"
#include "launch.h"
#include "strided.h"

namespace nabla_cuda {

namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float fmax_nan(float a, float b) { return (a != a || b != b) ? NAN : (a > b ? a : b); }

struct AdamScalars {
  float beta1, oneMinusBeta1, beta2, oneMinusBeta2, decay, bias2Sqrt, negStepSize, eps;
  bool decoupled, weightDecay, amsgrad, maximize;
};

__global__ void adamKernel(float* p, const float* g, float* m, float* v, float* vmax, int64_t n, AdamScalars s) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float theta = p[i];
    float d = s.maximize ? -g[i] : g[i];
    if (s.decoupled) theta = __fmul_rn(theta, s.decay);                                     // mul_(param, 1 − lr·λ)
    else if (s.weightDecay) d = __fadd_rn(d, __fmul_rn(theta, s.decay));                    // add(d, param, {alpha: λ})
    const float mi = __fadd_rn(__fmul_rn(m[i], s.beta1), __fmul_rn(d, s.oneMinusBeta1));     // add_(mul_(m, β1), d, 1 − β1)
    const float vi = __fadd_rn(__fmul_rn(v[i], s.beta2), __fmul_rn(__fmul_rn(d, d), s.oneMinusBeta2));  // addcmul_
    m[i] = mi;
    v[i] = vi;
    float second = vi;
    if (s.amsgrad) {
      second = fmax_nan(vmax[i], vi);  // maximum_(v_max, v)
      vmax[i] = second;
    }
    const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(second), s.bias2Sqrt), s.eps);     // sqrt(v)/√(1 − β2^t) + ε
    p[i] = __fadd_rn(theta, __fmul_rn(__fdiv_rn(mi, denom), s.negStepSize));              // addcdiv_(param, m, denom, −step)
  }
}

struct SgdScalars {
  float weightDecay, momentum, oneMinusDampening, negLr;
  bool nesterov, maximize, firstStep, hasMomentum, hasWeightDecay;
};

__global__ void sgdKernel(float* p, const float* g, float* buf, int64_t n, SgdScalars s) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float theta = p[i];
    float d = s.maximize ? -g[i] : g[i];
    if (s.hasWeightDecay) d = __fadd_rn(d, __fmul_rn(theta, s.weightDecay));
    if (s.hasMomentum) {
      float b;
      if (s.firstStep) b = d;
      else b = __fadd_rn(__fmul_rn(buf[i], s.momentum), s.oneMinusDampening == 1.0f ? d : __fmul_rn(d, s.oneMinusDampening));
      buf[i] = b;
      d = s.nesterov ? __fadd_rn(d, __fmul_rn(b, s.momentum)) : b;
    }
    p[i] = __fadd_rn(theta, s.negLr == 1.0f ? d : __fmul_rn(d, s.negLr));
  }
}

}  // namespace

void launchAdam(const DView& param, const DView& grad, const DView& expAvg, const DView& expAvgSq, const DView* maxExpAvgSq, const AdamParams& p) {
  if (param.numel == 0) return;
  AdamScalars s{};
  s.beta1 = static_cast<float>(p.beta1);
  s.oneMinusBeta1 = static_cast<float>(p.oneMinusBeta1);
  s.beta2 = static_cast<float>(p.beta2);
  s.oneMinusBeta2 = static_cast<float>(p.oneMinusBeta2);
  s.decay = static_cast<float>(p.decay);
  s.bias2Sqrt = static_cast<float>(p.bias2Sqrt);
  s.negStepSize = static_cast<float>(p.negStepSize);
  s.eps = static_cast<float>(p.eps);
  s.decoupled = p.decoupled;
  s.weightDecay = p.weightDecay;
  s.amsgrad = p.amsgrad;
  s.maximize = p.maximize;
  adamKernel<<<gridFor(param.numel, kThreads), kThreads, 0, stream()>>>(param.at<float>(), grad.at<float>(), expAvg.at<float>(), expAvgSq.at<float>(),
                                                                       maxExpAvgSq ? maxExpAvgSq->at<float>() : nullptr, param.numel, s);
  checkLaunch("adamStep");
}

void launchSgd(const DView& param, const DView& grad, const DView* momentumBuffer, const SgdParams& p) {
  if (param.numel == 0) return;
  SgdScalars s{};
  s.weightDecay = static_cast<float>(p.weightDecay);
  s.momentum = static_cast<float>(p.momentum);
  s.oneMinusDampening = static_cast<float>(p.oneMinusDampening);
  s.negLr = static_cast<float>(p.negLr);
  s.nesterov = p.nesterov;
  s.maximize = p.maximize;
  s.firstStep = p.firstStep;
  s.hasMomentum = p.momentum != 0;
  s.hasWeightDecay = p.weightDecay != 0;
  sgdKernel<<<gridFor(param.numel, kThreads), kThreads, 0, stream()>>>(param.at<float>(), grad.at<float>(), momentumBuffer ? momentumBuffer->at<float>() : nullptr,
                                                                      param.numel, s);
  checkLaunch("sgdStep");
}

}  // namespace nabla_cuda
