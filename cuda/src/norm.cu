// Normalisation kernels: per-row moments (layer/group norm), per-channel moments of [N, C, S]
// data (batch norm), batch norm's affine apply and its training-mode backward, on dense float32 /
// float64 operands (src/backend/cpu/norm.ts gives the semantics). Statistics accumulate in double
// with two passes (mean, then squared deviations), as the cpu backend does. Per-channel sums over
// N·S elements are split over several blocks when there are few channels, and a second kernel
// combines the blocks' partial sums.

#include <cmath>

#include "allocator.h"
#include "block_reduce.cuh"
#include "context.h"
#include "launch.h"
#include "strided.h"

namespace nabla_cuda {

namespace {

constexpr int kThreads = 256;

/** Block per row: mean[r] and rstd[r] = 1/sqrt(var + eps) of row r of a dense [rows, cols] x. */
template <typename T>
__global__ void momentsKernel(const T* x, int64_t rows, int64_t cols, double eps, T* mean, T* rstd) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * cols;
    double sum = 0;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) sum += static_cast<double>(row[j]);
    const double mu = blockAllReduce(sum, SumOp(), 0.0) / static_cast<double>(cols);
    double sq = 0;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const double d = static_cast<double>(row[j]) - mu;
      sq += d * d;
    }
    sq = blockReduce(sq, SumOp(), 0.0);
    if (threadIdx.x == 0) {
      mean[r] = static_cast<T>(mu);
      rstd[r] = static_cast<T>(1.0 / ::sqrt(sq / static_cast<double>(cols) + eps));
    }
  }
}

/** The channel sums split over blocks: block (c, part) covers elements [part·chunk, …) of channel c. */
struct ChannelSplit {
  int64_t N, C, S, count, parts, chunk;
};

ChannelSplit splitOf(int64_t N, int64_t C, int64_t S) {
  ChannelSplit p{N, C, S, N * S, 1, 0};
  const int64_t target = static_cast<int64_t>(smCount()) * 4;
  p.parts = C > 0 ? (target + C - 1) / C : 1;
  const int64_t maxParts = (p.count + 2047) / 2048;
  if (p.parts > maxParts) p.parts = maxParts;
  if (p.parts < 1) p.parts = 1;
  p.chunk = (p.count + p.parts - 1) / p.parts;
  return p;
}

/** Element e of channel c in a dense [N, C, S] array. */
__device__ __forceinline__ int64_t channelAt(const ChannelSplit& p, int64_t c, int64_t e) {
  const int64_t n = e / p.S, s = e - n * p.S;
  return (n * p.C + c) * p.S + s;
}

/** partials[c·parts + part] = Σ x (center null) or Σ (x − center[c])². */
template <typename T>
__global__ void channelPartials(ChannelSplit p, const T* x, const double* center, double* partials) {
  for (int64_t pair = blockIdx.x; pair < p.C * p.parts; pair += gridDim.x) {
    const int64_t c = pair / p.parts, part = pair - c * p.parts;
    const int64_t begin = part * p.chunk, end = begin + p.chunk < p.count ? begin + p.chunk : p.count;
    const double m = center ? center[c] : 0.0;
    double acc = 0;
    for (int64_t e = begin + threadIdx.x; e < end; e += blockDim.x) {
      const double v = static_cast<double>(x[channelAt(p, c, e)]) - m;
      acc += center ? v * v : v;
    }
    acc = blockReduce(acc, SumOp(), 0.0);
    if (threadIdx.x == 0) partials[pair] = acc;
  }
}

/** out[c] = Σ partials / count (also kept in double in exact[c] when given). */
template <typename T>
__global__ void channelFinish(ChannelSplit p, const double* partials, double* exact, T* out) {
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < p.C; c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double acc = 0;
    for (int64_t k = 0; k < p.parts; k++) acc += partials[c * p.parts + k];
    const double v = acc / static_cast<double>(p.count);
    if (exact) exact[c] = v;
    out[c] = static_cast<T>(v);
  }
}

/** scale = rstd·w, shift = b − mean·scale per channel, in double. */
template <typename T>
__global__ void foldAffine(int64_t C, const T* mean, const T* rstd, const T* w, const T* b, double* scale, double* shift) {
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const double a = static_cast<double>(rstd[c]) * (w ? static_cast<double>(w[c]) : 1.0);
    scale[c] = a;
    shift[c] = (b ? static_cast<double>(b[c]) : 0.0) - static_cast<double>(mean[c]) * a;
  }
}

template <typename T>
__global__ void applyAffine(const T* x, T* out, int64_t total, int64_t C, int64_t S, const double* scale, const double* shift) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = (i / S) % C;
    out[i] = static_cast<T>(static_cast<double>(x[i]) * scale[c] + shift[c]);
  }
}

/** partials[2·pair] = Σ gy, partials[2·pair + 1] = Σ gy·(x − mean[c]). */
template <typename T>
__global__ void backwardPartials(ChannelSplit p, const T* gy, const T* x, const T* mean, double* partials) {
  for (int64_t pair = blockIdx.x; pair < p.C * p.parts; pair += gridDim.x) {
    const int64_t c = pair / p.parts, part = pair - c * p.parts;
    const int64_t begin = part * p.chunk, end = begin + p.chunk < p.count ? begin + p.chunk : p.count;
    const double m = static_cast<double>(mean[c]);
    double a = 0, b = 0;
    for (int64_t e = begin + threadIdx.x; e < end; e += blockDim.x) {
      const int64_t at = channelAt(p, c, e);
      const double g = static_cast<double>(gy[at]);
      a += g;
      b += g * (static_cast<double>(x[at]) - m);
    }
    a = blockReduce(a, SumOp(), 0.0);
    b = blockReduce(b, SumOp(), 0.0);
    if (threadIdx.x == 0) {
      partials[2 * pair] = a;
      partials[2 * pair + 1] = b;
    }
  }
}

/** sums[2c] = Σ gy (gBias), sums[2c + 1] = rstd·Σ gy·(x − mean) (gWeight). */
template <typename T>
__global__ void backwardFinish(ChannelSplit p, const double* partials, const T* rstd, double* sums, T* gWeight, T* gBias) {
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < p.C; c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double a = 0, b = 0;
    for (int64_t k = 0; k < p.parts; k++) {
      a += partials[2 * (c * p.parts + k)];
      b += partials[2 * (c * p.parts + k) + 1];
    }
    b *= static_cast<double>(rstd[c]);
    sums[2 * c] = a;
    sums[2 * c + 1] = b;
    if (gWeight) gWeight[c] = static_cast<T>(b);
    if (gBias) gBias[c] = static_cast<T>(a);
  }
}

/** gx = w·rstd · (gy − Σgy/M − (x − mean)·(Σ gy·x̂/M)·rstd). */
template <typename T>
__global__ void backwardApply(ChannelSplit p, const T* gy, const T* x, const T* mean, const T* rstd, const T* w, const double* sums, T* gx) {
  const int64_t total = p.N * p.C * p.S;
  const double M = static_cast<double>(p.count);
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = (i / p.S) % p.C;
    const double r = static_cast<double>(rstd[c]);
    const double k = (w ? static_cast<double>(w[c]) : 1.0) * r;
    const double meanG = sums[2 * c] / M, slope = (sums[2 * c + 1] / M) * r;
    gx[i] = static_cast<T>(k * (static_cast<double>(gy[i]) - meanG - (static_cast<double>(x[i]) - static_cast<double>(mean[c])) * slope));
  }
}

/** [N, C, S] sizes of a dense [N, C, ...] view. */
void ncs(const DView& v, int64_t& N, int64_t& C, int64_t& S) {
  N = v.shape[0];
  C = v.shape[1];
  S = 1;
  for (int d = 2; d < v.ndim; d++) S *= v.shape[d];
}

unsigned pairGrid(int64_t pairs) { return static_cast<unsigned>(pairs < 65536 ? (pairs > 0 ? pairs : 1) : 65536); }

template <typename T>
void momentsTyped(const DView& x, int64_t rows, int64_t cols, double eps, const DView& mean, const DView& rstd) {
  if (rows == 0) return;
  const int threads = cols >= 1024 ? 256 : cols >= 128 ? 128 : 32;
  momentsKernel<T><<<pairGrid(rows), threads, 0, stream()>>>(x.at<T>(), rows, cols, eps, mean.at<T>(), rstd.at<T>());
  checkLaunch("moments");
}

template <typename T>
void channelMomentsTyped(const DView& x, const DView& mean, const DView& variance) {
  int64_t N, C, S;
  ncs(x, N, C, S);
  if (C == 0) return;
  const ChannelSplit p = splitOf(N, C, S);
  cudaStream_t s = stream();
  Scratch partials(p.C * p.parts * sizeof(double));
  Scratch exactMean(p.C * sizeof(double));
  channelPartials<T><<<pairGrid(p.C * p.parts), kThreads, 0, s>>>(p, x.at<T>(), nullptr, partials.as<double>());
  channelFinish<T><<<gridFor(C, kThreads), kThreads, 0, s>>>(p, partials.as<double>(), exactMean.as<double>(), mean.at<T>());
  channelPartials<T><<<pairGrid(p.C * p.parts), kThreads, 0, s>>>(p, x.at<T>(), exactMean.as<double>(), partials.as<double>());
  channelFinish<T><<<gridFor(C, kThreads), kThreads, 0, s>>>(p, partials.as<double>(), nullptr, variance.at<T>());
  checkLaunch("channelMoments");
}

template <typename T>
void applyTyped(const DView& x, const DView& mean, const DView& rstd, const DView* weight, const DView* bias, const DView& out) {
  int64_t N, C, S;
  ncs(x, N, C, S);
  if (x.numel == 0) return;
  cudaStream_t s = stream();
  Scratch folded(2 * C * sizeof(double));
  double* scale = folded.as<double>();
  double* shift = scale + C;
  foldAffine<T><<<gridFor(C, kThreads), kThreads, 0, s>>>(C, mean.at<T>(), rstd.at<T>(), weight ? weight->at<T>() : nullptr, bias ? bias->at<T>() : nullptr,
                                                         scale, shift);
  applyAffine<T><<<gridFor(x.numel, kThreads), kThreads, 0, s>>>(x.at<T>(), out.at<T>(), x.numel, C, S, scale, shift);
  checkLaunch("batchNormApply");
}

template <typename T>
void backwardTyped(const DView& gy, const DView& x, const DView& mean, const DView& rstd, const DView* weight, const DView& gx, const DView* gWeight,
                   const DView* gBias) {
  int64_t N, C, S;
  ncs(x, N, C, S);
  if (C == 0) return;
  const ChannelSplit p = splitOf(N, C, S);
  cudaStream_t s = stream();
  Scratch partials(2 * p.C * p.parts * sizeof(double));
  Scratch sums(2 * C * sizeof(double));
  backwardPartials<T><<<pairGrid(p.C * p.parts), kThreads, 0, s>>>(p, gy.at<T>(), x.at<T>(), mean.at<T>(), partials.as<double>());
  backwardFinish<T><<<gridFor(C, kThreads), kThreads, 0, s>>>(p, partials.as<double>(), rstd.at<T>(), sums.as<double>(),
                                                             gWeight ? gWeight->at<T>() : nullptr, gBias ? gBias->at<T>() : nullptr);
  if (p.count > 0) {
    backwardApply<T><<<gridFor(x.numel, kThreads), kThreads, 0, s>>>(p, gy.at<T>(), x.at<T>(), mean.at<T>(), rstd.at<T>(),
                                                                    weight ? weight->at<T>() : nullptr, sums.as<double>(), gx.at<T>());
  }
  checkLaunch("batchNormBackward");
}

}  // namespace

void launchMoments(const DView& x, int64_t rows, int64_t cols, double eps, const DView& mean, const DView& rstd) {
  if (x.dtype == kFloat64) momentsTyped<double>(x, rows, cols, eps, mean, rstd);
  else momentsTyped<float>(x, rows, cols, eps, mean, rstd);
}

void launchChannelMoments(const DView& x, const DView& mean, const DView& variance) {
  if (x.dtype == kFloat64) channelMomentsTyped<double>(x, mean, variance);
  else channelMomentsTyped<float>(x, mean, variance);
}

void launchBatchNormApply(const DView& x, const DView& mean, const DView& rstd, const DView* weight, const DView* bias, const DView& out) {
  if (x.dtype == kFloat64) applyTyped<double>(x, mean, rstd, weight, bias, out);
  else applyTyped<float>(x, mean, rstd, weight, bias, out);
}

void launchBatchNormBackward(const DView& gy, const DView& x, const DView& mean, const DView& rstd, const DView* weight, const DView& gx,
                             const DView* gWeight, const DView* gBias) {
  if (x.dtype == kFloat64) backwardTyped<double>(gy, x, mean, rstd, weight, gx, gWeight, gBias);
  else backwardTyped<float>(gy, x, mean, rstd, weight, gx, gWeight, gBias);
}

}  // namespace nabla_cuda
