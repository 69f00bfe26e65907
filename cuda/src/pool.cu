// Max, average and adaptive pooling over 1 to 3 spatial dims, forward and backward, on dense
// [N, C, ...spatial] float32/float64 operands, with the cpu backend's window rules
// (src/backend/cpu/pool.ts): window o of a dim covers o·stride − padBefore + j·dilation for
// j < kernel, only in-range taps count, the average divisor counts taps inside
// [−padBefore, L + padAfter) with countIncludePad, and adaptive windows span
// floor(o·L/O) .. ceil((o+1)·L/O). Fewer than 3 spatial dims are padded with leading size-1 dims.
//
// Forward: one thread per output. Average backward gathers, for each input element, the shares of
// the windows that hold it (no atomics, deterministic). Max backward scatters each gradient to
// the index its window recorded, with atomicAdd since windows may overlap.

#include <cmath>

#include "context.h"
#include "launch.h"
#include "pool_window.cuh"
#include "strided.h"

namespace nabla_cuda {

namespace {

using namespace pool;

constexpr int kThreads = 256;

template <typename T>
__global__ void maxPoolKernel(Geom g, const T* x, T* out, int32_t* indices, int64_t total) {
  const int64_t inPlane = g.inPlane();
  for (int64_t flat = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; flat < total; flat += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t plane, o[3];
    splitOut(g, flat, plane, o);
    Taps t[3];
    for (int i = 0; i < 3; i++) t[i] = tapsOf(g, i, o[i]);
    const T* xp = x + plane * inPlane;
    T best = -INFINITY;
    int64_t bestAt = (t[0].count > 0 && t[1].count > 0 && t[2].count > 0) ? (t[0].first * g.L[1] + t[1].first) * g.L[2] + t[2].first : -1;
    for (int64_t a = 0, p0 = t[0].first; a < t[0].count; a++, p0 += t[0].step) {
      for (int64_t b = 0, p1 = t[1].first; b < t[1].count; b++, p1 += t[1].step) {
        const int64_t row = (p0 * g.L[1] + p1) * g.L[2];
        for (int64_t c = 0, p2 = t[2].first; c < t[2].count; c++, p2 += t[2].step) {
          const T v = xp[row + p2];
          if (v > best || v != v) {
            best = v;
            bestAt = row + p2;
          }
        }
      }
    }
    out[flat] = best;
    indices[flat] = static_cast<int32_t>(bestAt);
  }
}

template <typename T>
__global__ void avgPoolKernel(Geom g, const T* x, T* out, int64_t total) {
  const int64_t inPlane = g.inPlane();
  for (int64_t flat = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; flat < total; flat += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t plane, o[3];
    splitOut(g, flat, plane, o);
    Taps t[3];
    for (int i = 0; i < 3; i++) t[i] = tapsOf(g, i, o[i]);
    if (t[0].count == 0 || t[1].count == 0 || t[2].count == 0) {
      out[flat] = T(0);  // a window that touches no input gives 0, as torch
      continue;
    }
    const T* xp = x + plane * inPlane;
    double sum = 0;
    for (int64_t a = 0, p0 = t[0].first; a < t[0].count; a++, p0 += t[0].step) {
      for (int64_t b = 0, p1 = t[1].first; b < t[1].count; b++, p1 += t[1].step) {
        const int64_t row = (p0 * g.L[1] + p1) * g.L[2];
        for (int64_t c = 0, p2 = t[2].first; c < t[2].count; c++, p2 += t[2].step) sum += static_cast<double>(xp[row + p2]);
      }
    }
    out[flat] = static_cast<T>(sum / divisorOf(g, t));
  }
}

template <typename T>
__global__ void avgBackwardKernel(Geom g, const T* gy, T* gx, int64_t total) {
  const int64_t outPlane = g.outPlane();
  for (int64_t flat = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; flat < total; flat += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t p[3], rest = flat;
    p[2] = rest % g.L[2];
    rest /= g.L[2];
    p[1] = rest % g.L[1];
    rest /= g.L[1];
    p[0] = rest % g.L[0];
    const int64_t plane = rest / g.L[0];
    int64_t lo[3], hi[3];
    for (int i = 0; i < 3; i++) candidates(g, i, p[i], lo[i], hi[i]);
    const T* gp = gy + plane * outPlane;
    double acc = 0;
    Taps t[3];
    for (int64_t a = lo[0]; a <= hi[0]; a++) {
      t[0] = tapsOf(g, 0, a);
      if (!holds(t[0], p[0])) continue;
      for (int64_t b = lo[1]; b <= hi[1]; b++) {
        t[1] = tapsOf(g, 1, b);
        if (!holds(t[1], p[1])) continue;
        for (int64_t c = lo[2]; c <= hi[2]; c++) {
          t[2] = tapsOf(g, 2, c);
          if (!holds(t[2], p[2])) continue;
          acc += static_cast<double>(gp[(a * g.O[1] + b) * g.O[2] + c]) / divisorOf(g, t);
        }
      }
    }
    gx[flat] = static_cast<T>(acc);
  }
}

template <typename T>
__global__ void maxBackwardKernel(const T* gy, const int32_t* indices, T* gx, int64_t outPlane, int64_t inPlane, int64_t total, DeviceErrorRecord* errors) {
  for (int64_t flat = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; flat < total; flat += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t at = indices[flat];
    if (at < -1 || at >= inPlane) {
      reportDeviceError(errors, DeviceCheck::kMaxPoolBackward, at, 0, inPlane);
      continue;
    }
    if (at >= 0) atomicAdd(gx + (flat / outPlane) * inPlane + at, gy[flat]);
  }
}

Geom geomOf(const DView& in, const DView& out, int mode, const PoolParams& p) {
  Geom g;
  const int nd = in.ndim - 2, lead = 3 - nd;
  g.planes = in.shape[0] * in.shape[1];
  g.adaptive = mode == kAdaptiveAvgPool || mode == kAdaptiveMaxPool;
  g.countPad = mode == kAdaptiveAvgPool ? true : p.countIncludePad;
  g.divisor = mode == kAvgPool ? p.divisor : 0;
  for (int i = 0; i < nd; i++) {
    g.L[lead + i] = in.shape[2 + i];
    g.O[lead + i] = out.shape[2 + i];
    if (!g.adaptive) {
      g.k[lead + i] = p.k[i];
      g.s[lead + i] = p.s[i];
      g.pb[lead + i] = p.pb[i];
      g.pa[lead + i] = p.pa[i];
      g.d[lead + i] = p.d[i];
    }
  }
  return g;
}

template <typename T>
void poolTyped(int mode, const PoolParams& p, const DView& x, const DView& out, const DView* indices) {
  const Geom g = geomOf(x, out, mode, p);
  const int64_t total = out.numel;
  if (total == 0) return;
  cudaStream_t s = stream();
  if (mode == kMaxPool || mode == kAdaptiveMaxPool) {
    maxPoolKernel<T><<<gridFor(total, kThreads), kThreads, 0, s>>>(g, x.at<T>(), out.at<T>(), indices->at<int32_t>(), total);
  } else {
    avgPoolKernel<T><<<gridFor(total, kThreads), kThreads, 0, s>>>(g, x.at<T>(), out.at<T>(), total);
  }
  checkLaunch("pool");
}

template <typename T>
void poolBackwardTyped(int mode, const PoolParams& p, const DView& gy, const DView& gx) {
  const Geom g = geomOf(gx, gy, mode, p);
  const int64_t total = gx.numel;
  if (total == 0) return;
  avgBackwardKernel<T><<<gridFor(total, kThreads), kThreads, 0, stream()>>>(g, gy.at<T>(), gx.at<T>(), total);
  checkLaunch("avgPoolBackward");
}

template <typename T>
void maxBackwardTyped(const DView& gy, const DView& indices, const DView& gx) {
  if (gx.numel == 0) return;
  cudaStream_t s = stream();
  checkCuda(cudaMemsetAsync(gx.ptr(), 0, gx.numel * sizeof(T), s), "cudaMemsetAsync");
  const int64_t planes = gx.shape[0] * gx.shape[1];
  const int64_t inPlane = planes ? gx.numel / planes : 0, outPlane = planes ? gy.numel / planes : 0;
  if (gy.numel == 0) return;
  maxBackwardKernel<T><<<gridFor(gy.numel, kThreads), kThreads, 0, s>>>(gy.at<T>(), indices.at<int32_t>(), gx.at<T>(), outPlane, inPlane, gy.numel,
                                                                        deviceErrors());
  checkLaunch("maxPoolBackward");
}

}  // namespace

void launchPool(int mode, const PoolParams& p, const DView& x, const DView& out, const DView* indices) {
  if (x.dtype == kFloat64) poolTyped<double>(mode, p, x, out, indices);
  else poolTyped<float>(mode, p, x, out, indices);
}

void launchPoolBackward(int mode, const PoolParams& p, const DView& gy, const DView& gx) {
  if (gx.dtype == kFloat64) poolBackwardTyped<double>(mode, p, gy, gx);
  else poolBackwardTyped<float>(mode, p, gy, gx);
}

void launchMaxPoolBackward(const DView& gy, const DView& indices, const DView& gx) {
  if (gx.dtype == kFloat64) maxBackwardTyped<double>(gy, indices, gx);
  else maxBackwardTyped<float>(gy, indices, gx);
}

}  // namespace nabla_cuda
