// The kernels' host-side launch functions, one per backend kernel. Callers (the *_entry.cc files)
// have validated every view against its buffer and the kernel's shape rules; these functions
// queue work on the addon's stream and return without waiting. Plain C++ and CUDA runtime types
// only, so the kernels (*.cu) compile without Node-API, cuBLAS or cuDNN headers.

#pragma once

#include <cstdint>

#include "view.h"

namespace nabla_cuda {

// ---- elementwise.cu ------------------------------------------------------------------------
/** Strided copy; also the cast between any two dtypes (typed-array store semantics). */
void launchCopy(const DView& x, const DView& out);
/** Store `value` as a typed-array fill would (int32 and bool wrap like ToInt32 / ToUint8). */
void launchFill(const DView& out, double value);
void launchUnary(int op, const DView& x, const DView& out);
void launchParamUnary(int op, double p0, double p1, const DView& x, const DView& out);
void launchBinary(int op, const DView& a, const DView& b, const DView& out);
void launchWhere(const DView& cond, const DView& a, const DView& b, const DView& out);

// ---- reduce.cu -----------------------------------------------------------------------------
/** reduced[d]: whether dim d of x is reduced; out has x's rank with size 1 there (any strides). */
void launchReduce(int op, const DView& x, const bool* reduced, const DView& out);
void launchArgReduce(bool isMax, const DView& x, int axis, const DView& out);

// ---- softmax.cu ----------------------------------------------------------------------------
void launchSoftmax(const DView& x, int axis, const DView& out, bool log);
void launchSoftmaxBackward(const DView& y, const DView& gy, int axis, const DView& gx, bool log);

// ---- pool.cu (dense float32/float64 [N, C, ...spatial] operands, 1 to 3 spatial dims) ------
enum PoolMode : int { kMaxPool = 0, kAvgPool = 1, kAdaptiveAvgPool = 2, kAdaptiveMaxPool = 3 };
struct PoolParams {
  int nd = 0;
  int64_t k[3] = {}, s[3] = {}, pb[3] = {}, pa[3] = {}, d[3] = {};
  bool countIncludePad = false;
  /** divisorOverride; 0 when not set. */
  double divisor = 0;
};
void launchPool(int mode, const PoolParams& p, const DView& x, const DView& out, const DView* indices);
/** Average-pool backward (sliding or adaptive): gather each input's share from the windows holding it. */
void launchPoolBackward(int mode, const PoolParams& p, const DView& gy, const DView& gx);
void launchMaxPoolBackward(const DView& gy, const DView& indices, const DView& gx);

// ---- norm.cu (dense x; per-row / per-channel vectors dense) ---------------------------------
void launchMoments(const DView& x, int64_t rows, int64_t cols, double eps, const DView& mean, const DView& rstd);
void launchChannelMoments(const DView& x, const DView& mean, const DView& variance);
void launchBatchNormApply(const DView& x, const DView& mean, const DView& rstd, const DView* weight, const DView* bias, const DView& out);
void launchBatchNormBackward(const DView& gy, const DView& x, const DView& mean, const DView& rstd, const DView* weight,
                             const DView& gx, const DView* gWeight, const DView* gBias);

// ---- indexing.cu (index views int32; bad index values are reported through the device record)
void launchIndexSelect(const DView& x, int axis, const DView& index, const DView& out);
void launchIndexAdd(const DView& out, int axis, const DView& index, const DView& src);
void launchGather(const DView& x, int axis, const DView& index, const DView& out);
void launchScatterAdd(const DView& out, int axis, const DView& index, const DView& src);

// ---- random.cu -----------------------------------------------------------------------------
/** Philox4x32-10 draws at (seed, offset), element i from block offset + i/4, word i%4 (cpu's scheme). */
void launchRandom(const DView& out, bool normal, uint64_t seed, uint64_t offset);

// ---- optim.cu (dense float32 operands of one size) -----------------------------------------
// The scalars are computed by the caller exactly as the composite update computes them
// (src/optim/adam.ts, sgd.ts); the kernels round each to float32 where the composite ops would,
// and use non-contracting float arithmetic, so a fused step equals the composite one bit for bit.
struct AdamParams {
  double beta1 = 0.9, oneMinusBeta1 = 0.1, beta2 = 0.999, oneMinusBeta2 = 0.001;
  /** 1 − lr·λ (decoupled: θ ← θ·decay) or λ (coupled L2: g ← g + λθ); unused when λ = 0. */
  double decay = 0;
  /** √(1 − β2^t) and −lr/(1 − β1^t). */
  double bias2Sqrt = 1, negStepSize = -1e-3;
  double eps = 1e-8;
  bool decoupled = false, weightDecay = false, amsgrad = false, maximize = false;
};
void launchAdam(const DView& param, const DView& grad, const DView& expAvg, const DView& expAvgSq, const DView* maxExpAvgSq, const AdamParams& p);
struct SgdParams {
  double weightDecay = 0, momentum = 0, oneMinusDampening = 1, negLr = -1e-3;
  bool nesterov = false, maximize = false;
  /** The momentum buffer is started with the gradient (torch's first step). */
  bool firstStep = false;
};
void launchSgd(const DView& param, const DView& grad, const DView* momentumBuffer, const SgdParams& p);

// ---- cross_entropy.cu (logits dense float32 [N, C], target int32 [N]) -----------------------
/** loss[n] = lse[n] − (1 − s)·x[n, t] − (s/C)·Σ_c x[n, c]; rows whose target is ignoreIndex give 0. */
void launchCrossEntropyForward(const DView& logits, const DView& target, const DView& loss, const DView& lse, int64_t ignoreIndex, double smoothing);
/** gx[n, c] = gy[n]·(softmax(x)[n, c] − (1 − s)·[c = t] − s/C); ignored rows give 0. */
void launchCrossEntropyBackward(const DView& logits, const DView& target, const DView& lse, const DView& gy, const DView& gx,
                                int64_t ignoreIndex, double smoothing);

}  // namespace nabla_cuda
