// Reductions (sum, prod, max, min over any set of axes, keepdim layout) and argmax/argmin along one
// axis, on any dtype, accumulating in double as the cpu backend does (src/backend/cpu/reduce.ts).
//
// x is split into kept dims (one output each) and reduced dims. When the reduced elements of an
// output are contiguous, or there are few outputs, a block (or several, "splits", whose partial
// results a second kernel combines) reduces each output; otherwise each thread reduces one output,
// so neighbouring threads read neighbouring elements.

#include <cmath>

#include "allocator.h"
#include "block_reduce.cuh"
#include "context.h"
#include "convert.cuh"
#include "launch.h"
#include "ops.h"
#include "strided.h"

namespace nabla_cuda {

namespace {

constexpr int kThreads = 256;

struct Combine {
  int op;
  __device__ __forceinline__ double identity() const {
    switch (static_cast<ReduceOp>(op)) {
      case ReduceOp::sum: return 0.0;
      case ReduceOp::prod: return 1.0;
      case ReduceOp::max: return -INFINITY;
      default: return INFINITY;
    }
  }
  __device__ __forceinline__ double operator()(double a, double b) const {
    switch (static_cast<ReduceOp>(op)) {
      case ReduceOp::sum: return a + b;
      case ReduceOp::prod: return a * b;
      // NaN wins: any NaN among the reduced values makes the result NaN.
      case ReduceOp::max: return (a != a || a > b) ? a : b;
      default: return (a != a || a < b) ? a : b;
    }
  }
};

/** One block per (output, split): split s reduces elements [s·chunk, (s+1)·chunk) of the output's R. */
template <typename I>
__global__ void reduceBlocks(Combine c, const void* x, int xt, void* out, int ot, double* partials, Walker<2, I> kept, Walker<1, I> red,
                             I M, I R, I splits, I chunk) {
  for (I pair = blockIdx.x; pair < M * splits; pair += gridDim.x) {
    const I o = pair / splits, s = pair - o * splits;
    I ko[2];
    kept.offsets(o, ko);
    const I begin = s * chunk, end = begin + chunk < R ? begin + chunk : R;
    double acc = c.identity();
    for (I r = begin + threadIdx.x; r < end; r += blockDim.x) {
      I ro[1];
      red.offsets(r, ro);
      acc = c(acc, loadAs<double>(x, xt, ko[0] + ro[0]));
    }
    acc = blockReduce(acc, c, c.identity());
    if (threadIdx.x == 0) {
      if (splits == 1) storeAs<double>(out, ot, ko[1], acc);
      else partials[pair] = acc;
    }
  }
}

/** Combine the splits' partial results of each output. */
template <typename I>
__global__ void reduceFinish(Combine c, const double* partials, void* out, int ot, Walker<2, I> kept, I M, I splits) {
  for (I o = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; o < M; o += static_cast<I>(gridDim.x) * blockDim.x) {
    double acc = c.identity();
    for (I s = 0; s < splits; s++) acc = c(acc, partials[o * splits + s]);
    I ko[2];
    kept.offsets(o, ko);
    storeAs<double>(out, ot, ko[1], acc);
  }
}

/** One thread per output. */
template <typename I>
__global__ void reduceThreads(Combine c, const void* x, int xt, void* out, int ot, Walker<2, I> kept, Walker<1, I> red, I M, I R) {
  for (I o = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; o < M; o += static_cast<I>(gridDim.x) * blockDim.x) {
    I ko[2];
    kept.offsets(o, ko);
    double acc = c.identity();
    for (I r = 0; r < R; r++) {
      I ro[1];
      red.offsets(r, ro);
      acc = c(acc, loadAs<double>(x, xt, ko[0] + ro[0]));
    }
    storeAs<double>(out, ot, ko[1], acc);
  }
}

/** Write the identity of an empty reduction into every output (sum 0, prod 1). */
template <typename I>
__global__ void reduceEmpty(Combine c, void* out, int ot, Walker<2, I> kept, I M) {
  for (I o = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; o < M; o += static_cast<I>(gridDim.x) * blockDim.x) {
    I ko[2];
    kept.offsets(o, ko);
    storeAs<double>(out, ot, ko[1], c.identity());
  }
}

// ---- argmax / argmin ---------------------------------------------------------------------------

/** Whether (v, i) beats (w, j): the first NaN wins, then the larger (smaller) value, then the lower index. */
__device__ __forceinline__ bool better(bool isMax, double v, long long i, double w, long long j) {
  const bool vn = v != v, wn = w != w;
  if (vn || wn) return vn && (!wn || i < j);
  if (v == w) return i < j;
  return isMax ? v > w : v < w;
}

template <typename I>
__global__ void argThreads(bool isMax, const void* x, int xt, int32_t* out, Walker<2, I> lines, I M, I len, I step) {
  for (I o = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; o < M; o += static_cast<I>(gridDim.x) * blockDim.x) {
    I lo[2];
    lines.offsets(o, lo);
    double best = loadAs<double>(x, xt, lo[0]);
    I bestAt = 0;
    for (I k = 1; k < len && best == best; k++) {
      const double e = loadAs<double>(x, xt, lo[0] + k * step);
      if (isMax ? (e > best || e != e) : (e < best || e != e)) {
        best = e;
        bestAt = k;
      }
    }
    out[lo[1]] = static_cast<int32_t>(bestAt);
  }
}

template <typename I>
__global__ void argBlocks(bool isMax, const void* x, int xt, int32_t* out, Walker<2, I> lines, I M, I len, I step) {
  __shared__ double vals[32];
  __shared__ long long idxs[32];
  for (I o = blockIdx.x; o < M; o += gridDim.x) {
    I lo[2];
    lines.offsets(o, lo);
    double best = 0;
    long long bestAt = -1;
    for (I k = threadIdx.x; k < len; k += blockDim.x) {
      const double e = loadAs<double>(x, xt, lo[0] + k * step);
      if (bestAt < 0 || better(isMax, e, k, best, bestAt)) {
        best = e;
        bestAt = k;
      }
    }
    // Warp, then block: keep the better (value, index) pair.
    for (int off = 16; off > 0; off >>= 1) {
      const double w = __shfl_down_sync(0xffffffffu, best, off);
      const long long j = __shfl_down_sync(0xffffffffu, bestAt, off);
      if (j >= 0 && (bestAt < 0 || better(isMax, w, j, best, bestAt))) {
        best = w;
        bestAt = j;
      }
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) {
      vals[warp] = best;
      idxs[warp] = bestAt;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      const int warps = (blockDim.x + 31) >> 5;
      for (int w = 1; w < warps; w++) {
        if (idxs[w] >= 0 && (bestAt < 0 || better(isMax, vals[w], idxs[w], best, bestAt))) {
          best = vals[w];
          bestAt = idxs[w];
        }
      }
      out[lo[1]] = static_cast<int32_t>(bestAt);
    }
  }
}

template <int N>
Geometry<N> collapseDims(const DView& shapeOf, const bool* pick, bool want, const int64_t* const* strides) {
  int64_t shape[kMaxDims];
  int64_t picked[N][kMaxDims];
  const int64_t* ptrs[N];
  int nd = 0;
  for (int d = 0; d < shapeOf.ndim; d++) {
    if (pick[d] != want) continue;
    shape[nd] = shapeOf.shape[d];
    for (int k = 0; k < N; k++) picked[k][nd] = strides[k][d];
    nd++;
  }
  for (int k = 0; k < N; k++) ptrs[k] = picked[k];
  return Geometry<N>(nd, shape, ptrs);
}

template <typename I>
void reduceWith(int op, const DView& x, const DView& out, const Geometry<2>& keptG, const Geometry<1>& redG) {
  cudaStream_t s = stream();
  const Combine c{op};
  const I M = static_cast<I>(keptG.numel), R = static_cast<I>(redG.numel);
  const Walker<2, I> kept = keptG.template walker<I>();
  const Walker<1, I> red = redG.template walker<I>();
  if (R == 0) {
    reduceEmpty<I><<<gridFor(M, kThreads), kThreads, 0, s>>>(c, out.ptr(), out.dtype, kept, M);
    checkLaunch("reduce");
    return;
  }
  const bool innerContiguous = redG.nd > 0 && redG.strides[0][redG.nd - 1] == 1;
  if (!innerContiguous && M >= 1024) {
    reduceThreads<I><<<gridFor(M, kThreads), kThreads, 0, s>>>(c, x.ptr(), x.dtype, out.ptr(), out.dtype, kept, red, M, R);
    checkLaunch("reduce");
    return;
  }
  // Enough blocks to fill the device: split long reductions of few outputs.
  const int64_t target = static_cast<int64_t>(smCount()) * 4;
  int64_t splits = (target + M - 1) / M;
  const int64_t maxSplits = (static_cast<int64_t>(R) + 4095) / 4096;
  if (splits > maxSplits) splits = maxSplits;
  if (splits < 1) splits = 1;
  const I chunk = static_cast<I>((R + splits - 1) / splits);
  const int64_t pairs = static_cast<int64_t>(M) * splits;
  const unsigned grid = static_cast<unsigned>(pairs < 65536 ? pairs : 65536);
  if (splits == 1) {
    reduceBlocks<I><<<grid, kThreads, 0, s>>>(c, x.ptr(), x.dtype, out.ptr(), out.dtype, nullptr, kept, red, M, R, 1, chunk);
    checkLaunch("reduce");
    return;
  }
  Scratch partials(pairs * sizeof(double));
  reduceBlocks<I><<<grid, kThreads, 0, s>>>(c, x.ptr(), x.dtype, out.ptr(), out.dtype, partials.as<double>(), kept, red, M, R,
                                           static_cast<I>(splits), chunk);
  checkLaunch("reduce");
  reduceFinish<I><<<gridFor(M, kThreads), kThreads, 0, s>>>(c, partials.as<double>(), out.ptr(), out.dtype, kept, M, static_cast<I>(splits));
  checkLaunch("reduce");
}

}  // namespace

void launchReduce(int op, const DView& x, const bool* reduced, const DView& out) {
  const int64_t* keptStrides[2] = {x.strides, out.strides};
  const int64_t* redStrides[1] = {x.strides};
  const Geometry<2> keptG = collapseDims<2>(x, reduced, false, keptStrides);
  const Geometry<1> redG = collapseDims<1>(x, reduced, true, redStrides);
  if (keptG.numel == 0) return;
  // 32-bit indices when every x offset (kept part + reduced part) and the work counts fit.
  const bool fits = keptG.fits32() && redG.fits32() && keptG.reach(0) + redG.reach(0) < INT32_MAX;
  if (fits) {
    reduceWith<int32_t>(op, x, out, keptG, redG);
  } else {
    reduceWith<int64_t>(op, x, out, keptG, redG);
  }
}

void launchArgReduce(bool isMax, const DView& x, int axis, const DView& out) {
  bool isAxis[kMaxDims] = {};
  isAxis[axis] = true;
  const int64_t* strides[2] = {x.strides, out.strides};
  const Geometry<2> g = collapseDims<2>(x, isAxis, false, strides);
  const int64_t M = g.numel, len = x.shape[axis], step = x.strides[axis];
  if (M == 0 || len == 0) return;
  cudaStream_t s = stream();
  int64_t reachX = (len - 1) * (step < 0 ? -step : step);
  for (int d = 0; d < g.nd; d++) reachX += (g.shape[d] - 1) * (g.strides[0][d] < 0 ? -g.strides[0][d] : g.strides[0][d]);
  const bool small = g.fits32() && reachX < INT32_MAX && M * len < (int64_t(1) << 30);
  const bool blocks = len >= 512 && M < static_cast<int64_t>(smCount()) * 64;
  auto run = [&](auto zero) {
    using I = decltype(zero);
    const Walker<2, I> w = g.template walker<I>();
    if (blocks) {
      argBlocks<I><<<static_cast<unsigned>(M < 65536 ? M : 65536), kThreads, 0, s>>>(isMax, x.ptr(), x.dtype, out.at<int32_t>(), w, static_cast<I>(M),
                                                                                    static_cast<I>(len), static_cast<I>(step));
    } else {
      argThreads<I><<<gridFor(M, kThreads), kThreads, 0, s>>>(isMax, x.ptr(), x.dtype, out.at<int32_t>(), w, static_cast<I>(M), static_cast<I>(len),
                                                              static_cast<I>(step));
    }
  };
  if (small) run(int32_t(0));
  else run(int64_t(0));
  checkLaunch("argReduce");
}

}  // namespace nabla_cuda
