// Fused softmax cross-entropy on dense float32 logits [N, C] with int32 class targets [N]: the
// forward writes each row's loss and its log-sum-exp (kept for backward); the backward writes
// gx = gy[n]·(softmax − smoothed one-hot) in one pass. One warp per row; sums in double.
// With label smoothing s: loss = (1 − s)·(lse − x_t) + (s/C)·Σ_c (lse − x_c), as torch computes it.

#include <cmath>

#include "block_reduce.cuh"
#include "context.h"
#include "launch.h"
#include "strided.h"

namespace nabla_cuda {

namespace {

constexpr int kThreads = 256;

__global__ void xentForward(const float* x, const int32_t* target, float* loss, float* lse, int64_t N, int64_t C, int64_t ignoreIndex, double smoothing,
                            DeviceErrorRecord* errors) {
  const int lane = threadIdx.x & 31;
  const int64_t perBlock = blockDim.x >> 5;
  for (int64_t n = static_cast<int64_t>(blockIdx.x) * perBlock + (threadIdx.x >> 5); n < N; n += static_cast<int64_t>(gridDim.x) * perBlock) {
    const float* row = x + n * C;
    const int64_t t = target[n];
    if (t == ignoreIndex) {
      if (lane == 0) {
        loss[n] = 0.0f;
        lse[n] = 0.0f;
      }
      continue;
    }
    if (t < 0 || t >= C) {
      if (lane == 0) {
        reportDeviceError(errors, DeviceCheck::kCrossEntropy, t, 1, C);
        loss[n] = NAN;
        lse[n] = NAN;
      }
      continue;
    }
    float m = -INFINITY;
    for (int64_t c = lane; c < C; c += 32) m = MaxOp()(m, row[c]);
    m = warpAllReduce(m, MaxOp());
    double sum = 0, all = 0;
    for (int64_t c = lane; c < C; c += 32) {
      sum += static_cast<double>(expf(row[c] - m));
      all += static_cast<double>(row[c]);
    }
    sum = warpAllReduce(sum, SumOp());
    all = warpAllReduce(all, SumOp());
    if (lane == 0) {
      const double l = static_cast<double>(m) + ::log(sum);
      const double xt = static_cast<double>(row[t]);
      loss[n] = static_cast<float>((1.0 - smoothing) * (l - xt) + (smoothing / static_cast<double>(C)) * (static_cast<double>(C) * l - all));
      lse[n] = static_cast<float>(l);
    }
  }
}

__global__ void xentBackward(const float* x, const int32_t* target, const float* lse, const float* gy, float* gx, int64_t N, int64_t C, int64_t ignoreIndex,
                             double smoothing) {
  const int64_t total = N * C;
  const float off = static_cast<float>(smoothing / static_cast<double>(C));
  const float on = static_cast<float>(1.0 - smoothing);
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t n = i / C, c = i - n * C;
    const int64_t t = target[n];
    if (t == ignoreIndex || t < 0 || t >= C) {
      gx[i] = 0.0f;
      continue;
    }
    const float p = expf(x[i] - lse[n]);
    gx[i] = gy[n] * (p - (c == t ? on : 0.0f) - off);
  }
}

}  // namespace

void launchCrossEntropyForward(const DView& logits, const DView& target, const DView& loss, const DView& lse, int64_t ignoreIndex, double smoothing) {
  const int64_t N = logits.shape[0], C = logits.shape[1];
  if (N == 0) return;
  xentForward<<<gridFor(N * 32, kThreads), kThreads, 0, stream()>>>(logits.at<float>(), target.at<int32_t>(), loss.at<float>(), lse.at<float>(), N, C,
                                                                   ignoreIndex, smoothing, deviceErrors());
  checkLaunch("crossEntropyForward");
}

void launchCrossEntropyBackward(const DView& logits, const DView& target, const DView& lse, const DView& gy, const DView& gx, int64_t ignoreIndex,
                                double smoothing) {
  const int64_t N = logits.shape[0], C = logits.shape[1];
  if (N * C == 0) return;
  xentBackward<<<gridFor(N * C, kThreads), kThreads, 0, stream()>>>(logits.at<float>(), target.at<int32_t>(), lse.at<float>(), gy.at<float>(), gx.at<float>(), N,
                                                                   C, ignoreIndex, smoothing);
  checkLaunch("crossEntropyBackward");
}

}  // namespace nabla_cuda
