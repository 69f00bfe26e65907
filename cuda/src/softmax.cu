// Softmax and log-softmax along one axis and their backward, on float32 and float64 views of any
// strides (src/backend/cpu/softmax.ts gives the semantics). The row maximum is subtracted before
// exponentiating and sums accumulate in double, as on the cpu backend. Lines contiguous along the
// axis get a warp each (coalesced reads along the line); otherwise each thread walks one line, so
// neighbouring threads read neighbouring elements of the inner dims.

#include <cmath>

#include "block_reduce.cuh"
#include "context.h"
#include "launch.h"
#include "strided.h"

namespace nabla_cuda {

namespace {

constexpr int kThreads = 256;

template <typename T, typename I>
__global__ void softmaxWarps(const T* x, T* out, Walker<2, I> lines, I M, I len, I sx, I so, bool log) {
  const int lane = threadIdx.x & 31;
  const I perBlock = blockDim.x >> 5;
  for (I line = static_cast<I>(blockIdx.x) * perBlock + (threadIdx.x >> 5); line < M; line += static_cast<I>(gridDim.x) * perBlock) {
    I lo[2];
    lines.offsets(line, lo);
    const T* xr = x + lo[0];
    T* orow = out + lo[1];
    T m = -INFINITY;
    for (I k = lane; k < len; k += 32) m = MaxOp()(m, xr[k * sx]);
    m = warpAllReduce(m, MaxOp());
    double sum = 0;
    for (I k = lane; k < len; k += 32) sum += static_cast<double>(exp(xr[k * sx] - m));
    sum = warpAllReduce(sum, SumOp());
    if (log) {
      const double lse = ::log(sum);
      for (I k = lane; k < len; k += 32) orow[k * so] = static_cast<T>(static_cast<double>(xr[k * sx] - m) - lse);
    } else {
      const double inv = 1.0 / sum;
      for (I k = lane; k < len; k += 32) orow[k * so] = static_cast<T>(static_cast<double>(exp(xr[k * sx] - m)) * inv);
    }
  }
}

template <typename T, typename I>
__global__ void softmaxThreads(const T* x, T* out, Walker<2, I> lines, I M, I len, I sx, I so, bool log) {
  for (I line = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; line < M; line += static_cast<I>(gridDim.x) * blockDim.x) {
    I lo[2];
    lines.offsets(line, lo);
    const T* xr = x + lo[0];
    T* orow = out + lo[1];
    T m = -INFINITY;
    for (I k = 0; k < len; k++) {
      m = MaxOp()(m, xr[k * sx]);
      if (m != m) break;
    }
    double sum = 0;
    for (I k = 0; k < len; k++) sum += static_cast<double>(exp(xr[k * sx] - m));
    if (log) {
      const double lse = ::log(sum);
      for (I k = 0; k < len; k++) orow[k * so] = static_cast<T>(static_cast<double>(xr[k * sx] - m) - lse);
    } else {
      const double inv = 1.0 / sum;
      for (I k = 0; k < len; k++) orow[k * so] = static_cast<T>(static_cast<double>(exp(xr[k * sx] - m)) * inv);
    }
  }
}

/** softmax: gx = y·(gy − Σ gy·y);  log-softmax: gx = gy − exp(y)·Σ gy. */
template <typename T, typename I>
__global__ void backwardWarps(const T* y, const T* gy, T* gx, Walker<3, I> lines, I M, I len, I sy, I sg, I sx, bool log) {
  const int lane = threadIdx.x & 31;
  const I perBlock = blockDim.x >> 5;
  for (I line = static_cast<I>(blockIdx.x) * perBlock + (threadIdx.x >> 5); line < M; line += static_cast<I>(gridDim.x) * perBlock) {
    I lo[3];
    lines.offsets(line, lo);
    const T *yr = y + lo[0], *gr = gy + lo[1];
    T* xr = gx + lo[2];
    double dot = 0;
    for (I k = lane; k < len; k += 32) dot += log ? static_cast<double>(gr[k * sg]) : static_cast<double>(gr[k * sg]) * yr[k * sy];
    dot = warpAllReduce(dot, SumOp());
    for (I k = lane; k < len; k += 32) {
      const double g = gr[k * sg], v = yr[k * sy];
      xr[k * sx] = static_cast<T>(log ? g - ::exp(v) * dot : v * (g - dot));
    }
  }
}

template <typename T, typename I>
__global__ void backwardThreads(const T* y, const T* gy, T* gx, Walker<3, I> lines, I M, I len, I sy, I sg, I sx, bool log) {
  for (I line = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; line < M; line += static_cast<I>(gridDim.x) * blockDim.x) {
    I lo[3];
    lines.offsets(line, lo);
    const T *yr = y + lo[0], *gr = gy + lo[1];
    T* xr = gx + lo[2];
    double dot = 0;
    for (I k = 0; k < len; k++) dot += log ? static_cast<double>(gr[k * sg]) : static_cast<double>(gr[k * sg]) * yr[k * sy];
    for (I k = 0; k < len; k++) {
      const double g = gr[k * sg], v = yr[k * sy];
      xr[k * sx] = static_cast<T>(log ? g - ::exp(v) * dot : v * (g - dot));
    }
  }
}

/** The line geometry: every dim but `axis` (a 0-d view is one line of length 1). */
template <int N>
Geometry<N> linesOf(const DView& v, int axis, const DView* const* ops) {
  int64_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];
  const int64_t* ptrs[N];
  int nd = 0;
  for (int d = 0; d < v.ndim; d++) {
    if (d == axis) continue;
    shape[nd] = v.shape[d];
    for (int k = 0; k < N; k++) strides[k][nd] = ops[k]->strides[d];
    nd++;
  }
  for (int k = 0; k < N; k++) ptrs[k] = strides[k];
  return Geometry<N>(nd, shape, ptrs);
}

int64_t axisLength(const DView& v, int axis) { return v.ndim == 0 ? 1 : v.shape[axis]; }
int64_t axisStride(const DView& v, int axis) { return v.ndim == 0 ? 0 : v.strides[axis]; }

template <int N>
bool fits32(const Geometry<N>& g, int64_t len, const int64_t* steps) {
  if (!g.fits32() || g.numel * len > (int64_t(1) << 30)) return false;
  for (int k = 0; k < N; k++)
    if (g.reach(k) + (len - 1) * (steps[k] < 0 ? -steps[k] : steps[k]) > INT32_MAX) return false;
  return true;
}

template <typename T>
void forward(const DView& x, int axis, const DView& out, bool log) {
  const DView* ops[2] = {&x, &out};
  const Geometry<2> g = linesOf<2>(x, axis, ops);
  const int64_t len = axisLength(x, axis), steps[2] = {axisStride(x, axis), axisStride(out, axis)};
  if (g.numel == 0 || len == 0) return;
  cudaStream_t s = stream();
  const bool warps = steps[0] == 1 && len >= 32;
  auto run = [&](auto zero) {
    using I = decltype(zero);
    const Walker<2, I> w = g.template walker<I>();
    const I M = static_cast<I>(g.numel);
    if (warps) {
      softmaxWarps<T, I><<<gridFor(g.numel * 32, kThreads), kThreads, 0, s>>>(x.at<T>(), out.at<T>(), w, M, static_cast<I>(len), static_cast<I>(steps[0]),
                                                                             static_cast<I>(steps[1]), log);
    } else {
      softmaxThreads<T, I><<<gridFor(g.numel, kThreads), kThreads, 0, s>>>(x.at<T>(), out.at<T>(), w, M, static_cast<I>(len), static_cast<I>(steps[0]),
                                                                          static_cast<I>(steps[1]), log);
    }
  };
  if (fits32(g, len, steps)) run(int32_t(0));
  else run(int64_t(0));
  checkLaunch("softmax");
}

template <typename T>
void backward(const DView& y, const DView& gy, int axis, const DView& gx, bool log) {
  const DView* ops[3] = {&y, &gy, &gx};
  const Geometry<3> g = linesOf<3>(y, axis, ops);
  const int64_t len = axisLength(y, axis), steps[3] = {axisStride(y, axis), axisStride(gy, axis), axisStride(gx, axis)};
  if (g.numel == 0 || len == 0) return;
  cudaStream_t s = stream();
  const bool warps = steps[0] == 1 && len >= 32;
  auto run = [&](auto zero) {
    using I = decltype(zero);
    const Walker<3, I> w = g.template walker<I>();
    const I M = static_cast<I>(g.numel);
    if (warps) {
      backwardWarps<T, I><<<gridFor(g.numel * 32, kThreads), kThreads, 0, s>>>(y.at<T>(), gy.at<T>(), gx.at<T>(), w, M, static_cast<I>(len),
                                                                              static_cast<I>(steps[0]), static_cast<I>(steps[1]), static_cast<I>(steps[2]), log);
    } else {
      backwardThreads<T, I><<<gridFor(g.numel, kThreads), kThreads, 0, s>>>(y.at<T>(), gy.at<T>(), gx.at<T>(), w, M, static_cast<I>(len),
                                                                           static_cast<I>(steps[0]), static_cast<I>(steps[1]), static_cast<I>(steps[2]), log);
    }
  };
  if (fits32(g, len, steps)) run(int32_t(0));
  else run(int64_t(0));
  checkLaunch("softmaxBackward");
}

}  // namespace

void launchSoftmax(const DView& x, int axis, const DView& out, bool log) {
  if (x.dtype == kFloat64) forward<double>(x, axis, out, log);
  else forward<float>(x, axis, out, log);
}

void launchSoftmaxBackward(const DView& y, const DView& gy, int axis, const DView& gx, bool log) {
  if (y.dtype == kFloat64) backward<double>(y, gy, axis, gx, log);
  else backward<float>(y, gy, axis, gx, log);
}

}  // namespace nabla_cuda
