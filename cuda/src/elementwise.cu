// Elementwise kernels: copy/cast among all dtypes, fill, unary, parametric unary, binary (broadcast
// by zero strides) and where, with the cpu backend's semantics (src/backend/cpu/elementwise.ts).
//
// float32 operands are computed in float: + − × ÷ and sqrt are then correctly rounded, exactly as
// the cpu backend's double arithmetic rounded to float32; other functions may differ by an ulp or
// two (CUDA's float math). Anything involving another dtype is computed in double and stored with
// typed-array semantics (convert.cuh). The op is a runtime switch: it is uniform across a launch,
// so the branch costs little next to the memory traffic.

#include <cmath>
#include <cstring>

#include "allocator.h"
#include "context.h"
#include "convert.cuh"
#include "elementwise_ops.cuh"
#include "launch.h"
#include "ops.h"
#include "strided.h"

namespace nabla_cuda {

namespace {

constexpr int kThreads = 256;

// ---- kernels -----------------------------------------------------------------------------------

#define GRID_STRIDE(i, n) for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += static_cast<I>(gridDim.x) * blockDim.x)

template <typename In, typename Out, typename I>
__global__ void copyKernel(const In* x, Out* out, Walker<2, I> w, I n) {
  GRID_STRIDE(i, n) {
    I off[2];
    w.offsets(i, off);
    out[off[1]] = Convert<Out>::from(x[off[0]]);
  }
}

template <typename T, typename I>
__global__ void fillKernel(T* out, T value, Walker<1, I> w, I n) {
  GRID_STRIDE(i, n) {
    I off[1];
    w.offsets(i, off);
    out[off[0]] = value;
  }
}

/** F32: x and out are float32 (computed in float); else loads and stores convert through double. */
template <bool F32, typename I>
__global__ void unaryKernel(int op, const void* x, int xt, void* out, int ot, Walker<2, I> w, I n) {
  GRID_STRIDE(i, n) {
    I off[2];
    w.offsets(i, off);
    if (F32) static_cast<float*>(out)[off[1]] = unaryOp<float>(op, static_cast<const float*>(x)[off[0]]);
    else storeAs<double>(out, ot, off[1], unaryOp<double>(op, loadAs<double>(x, xt, off[0])));
  }
}

template <bool F32, typename I>
__global__ void paramKernel(int op, double p0, double p1, const void* x, int xt, void* out, int ot, Walker<2, I> w, I n) {
  GRID_STRIDE(i, n) {
    I off[2];
    w.offsets(i, off);
    if (F32) static_cast<float*>(out)[off[1]] = paramOp<float>(op, p0, p1, static_cast<const float*>(x)[off[0]]);
    else storeAs<double>(out, ot, off[1], paramOp<double>(op, p0, p1, loadAs<double>(x, xt, off[0])));
  }
}

/** intMul: an int32 product wraps like Math.imul instead of rounding through double. */
template <bool F32, typename I>
__global__ void binaryKernel(int op, const void* a, int at, const void* b, int bt, void* out, int ot, bool intMul, Walker<3, I> w, I n) {
  GRID_STRIDE(i, n) {
    I off[3];
    w.offsets(i, off);
    if (F32) {
      static_cast<float*>(out)[off[2]] = binaryOp<float>(op, static_cast<const float*>(a)[off[0]], static_cast<const float*>(b)[off[1]]);
    } else if (intMul) {
      const uint32_t p = static_cast<uint32_t>(jsToInt32(loadAs<double>(a, at, off[0]))) * static_cast<uint32_t>(jsToInt32(loadAs<double>(b, bt, off[1])));
      static_cast<int32_t*>(out)[off[2]] = static_cast<int32_t>(p);
    } else {
      storeAs<double>(out, ot, off[2], binaryOp<double>(op, loadAs<double>(a, at, off[0]), loadAs<double>(b, bt, off[1])));
    }
  }
}

/** a, b and out share one dtype: T is an unsigned integer of its size (values move bit for bit). */
template <typename T, typename I>
__global__ void whereKernel(const uint8_t* cond, const T* a, const T* b, T* out, Walker<4, I> w, I n) {
  GRID_STRIDE(i, n) {
    I off[4];
    w.offsets(i, off);
    out[off[3]] = cond[off[0]] ? a[off[1]] : b[off[2]];
  }
}

// ---- launch helpers ------------------------------------------------------------------------------

template <int N>
Geometry<N> geometryOf(const DView& shapeOf, const DView* const* ops) {
  const int64_t* strides[N];
  for (int k = 0; k < N; k++) strides[k] = ops[k]->strides;
  return Geometry<N>(shapeOf.ndim, shapeOf.shape, strides);
}

/** Launch `kernel<I>` with 32-bit indices when they fit, 64-bit otherwise. */
template <int N, typename Launch32, typename Launch64>
void launchIndexed(const Geometry<N>& g, Launch32&& l32, Launch64&& l64) {
  if (g.numel == 0) return;
  const unsigned grid = gridFor(g.numel, kThreads);
  if (g.fits32()) l32(grid, g.template walker<int32_t>(), static_cast<int32_t>(g.numel));
  else l64(grid, g.template walker<int64_t>(), static_cast<int64_t>(g.numel));
}

template <typename In, typename Out>
void copyTyped(const DView& x, const DView& out) {
  const DView* ops[2] = {&x, &out};
  const Geometry<2> g = geometryOf<2>(out, ops);
  cudaStream_t s = stream();
  launchIndexed(
      g, [&](unsigned grid, Walker<2, int32_t> w, int32_t n) { copyKernel<In, Out, int32_t><<<grid, kThreads, 0, s>>>(x.at<In>(), out.at<Out>(), w, n); },
      [&](unsigned grid, Walker<2, int64_t> w, int64_t n) { copyKernel<In, Out, int64_t><<<grid, kThreads, 0, s>>>(x.at<In>(), out.at<Out>(), w, n); });
  checkLaunch("copy");
}

template <typename In>
void copyFrom(const DView& x, const DView& out) {
  switch (out.dtype) {
    case kFloat32: return copyTyped<In, float>(x, out);
    case kFloat64: return copyTyped<In, double>(x, out);
    case kInt32: return copyTyped<In, int32_t>(x, out);
    case kBool: return copyTyped<In, uint8_t>(x, out);
  }
}

void copyAny(const DView& x, const DView& out) {
  switch (x.dtype) {
    case kFloat32: return copyFrom<float>(x, out);
    case kFloat64: return copyFrom<double>(x, out);
    case kInt32: return copyFrom<int32_t>(x, out);
    case kBool: return copyFrom<uint8_t>(x, out);
  }
}

/** Element range [lo, hi] a view addresses (numel > 0). */
void reach(const DView& v, int64_t& lo, int64_t& hi) {
  lo = hi = v.offset;
  for (int d = 0; d < v.ndim; d++) {
    const int64_t span = (v.shape[d] - 1) * v.strides[d];
    if (span < 0) lo += span;
    else hi += span;
  }
}

bool overlapping(const DView& a, const DView& b) {
  if (a.buffer != b.buffer || a.numel == 0 || b.numel == 0) return false;
  int64_t alo, ahi, blo, bhi;
  reach(a, alo, ahi);
  reach(b, blo, bhi);
  const int64_t ia = itemSize(a.dtype), ib = itemSize(b.dtype);
  return alo * ia <= (bhi + 1) * ib - 1 && blo * ib <= (ahi + 1) * ia - 1;
}

template <typename T>
void fillTyped(const DView& out, T value) {
  cudaStream_t s = stream();
  T zero{};
  if (out.dense() && std::memcmp(&value, &zero, sizeof(T)) == 0) {
    checkCuda(cudaMemsetAsync(out.ptr(), 0, out.numel * sizeof(T), s), "cudaMemsetAsync");
    return;
  }
  const DView* ops[1] = {&out};
  const Geometry<1> g = geometryOf<1>(out, ops);
  launchIndexed(
      g, [&](unsigned grid, Walker<1, int32_t> w, int32_t n) { fillKernel<T, int32_t><<<grid, kThreads, 0, s>>>(out.at<T>(), value, w, n); },
      [&](unsigned grid, Walker<1, int64_t> w, int64_t n) { fillKernel<T, int64_t><<<grid, kThreads, 0, s>>>(out.at<T>(), value, w, n); });
  checkLaunch("fill");
}

template <typename T>
void whereTyped(const DView& cond, const DView& a, const DView& b, const DView& out) {
  const DView* ops[4] = {&cond, &a, &b, &out};
  const Geometry<4> g = geometryOf<4>(out, ops);
  cudaStream_t s = stream();
  launchIndexed(
      g,
      [&](unsigned grid, Walker<4, int32_t> w, int32_t n) {
        whereKernel<T, int32_t><<<grid, kThreads, 0, s>>>(cond.at<uint8_t>(), a.at<T>(), b.at<T>(), out.at<T>(), w, n);
      },
      [&](unsigned grid, Walker<4, int64_t> w, int64_t n) {
        whereKernel<T, int64_t><<<grid, kThreads, 0, s>>>(cond.at<uint8_t>(), a.at<T>(), b.at<T>(), out.at<T>(), w, n);
      });
  checkLaunch("where");
}

}  // namespace

void launchCopy(const DView& x, const DView& out) {
  if (out.numel == 0) return;
  cudaStream_t s = stream();
  if (x.buffer == out.buffer && x.offset == out.offset && x.dtype == out.dtype && sameShape(x, out) &&
      std::memcmp(x.strides, out.strides, sizeof(int64_t) * x.ndim) == 0) {
    return;  // a view copied onto itself
  }
  if (overlapping(x, out)) {
    // Reading and writing the same bytes in parallel would race: stage x in scratch first.
    Scratch staged(x.numel * itemSize(x.dtype));
    DView tmp = x;
    tmp.base = staged.as<char>();
    tmp.offset = 0;
    tmp.buffer = nullptr;
    tmp.length = x.numel;
    contiguousStrides(x.shape, x.ndim, tmp.strides);
    copyAny(x, tmp);
    launchCopy(tmp, out);
    return;
  }
  if (x.dtype == out.dtype && x.dense() && out.dense()) {
    checkCuda(cudaMemcpyAsync(out.ptr(), x.ptr(), out.numel * itemSize(out.dtype), cudaMemcpyDeviceToDevice, s), "cudaMemcpyAsync");
    return;
  }
  copyAny(x, out);
}

void launchFill(const DView& out, double value) {
  if (out.numel == 0) return;
  switch (out.dtype) {
    case kFloat32: return fillTyped<float>(out, static_cast<float>(value));
    case kFloat64: return fillTyped<double>(out, value);
    case kInt32: return fillTyped<int32_t>(out, jsToInt32(value));
    case kBool: return fillTyped<uint8_t>(out, jsToUint8(value));
  }
}

void launchUnary(int op, const DView& x, const DView& out) {
  const DView* ops[2] = {&x, &out};
  const Geometry<2> g = geometryOf<2>(out, ops);
  const bool f32 = x.dtype == kFloat32 && out.dtype == kFloat32;
  cudaStream_t s = stream();
  const void* xp = x.ptr();
  void* op_ = out.ptr();
  launchIndexed(
      g,
      [&](unsigned grid, Walker<2, int32_t> w, int32_t n) {
        if (f32) unaryKernel<true, int32_t><<<grid, kThreads, 0, s>>>(op, xp, x.dtype, op_, out.dtype, w, n);
        else unaryKernel<false, int32_t><<<grid, kThreads, 0, s>>>(op, xp, x.dtype, op_, out.dtype, w, n);
      },
      [&](unsigned grid, Walker<2, int64_t> w, int64_t n) {
        if (f32) unaryKernel<true, int64_t><<<grid, kThreads, 0, s>>>(op, xp, x.dtype, op_, out.dtype, w, n);
        else unaryKernel<false, int64_t><<<grid, kThreads, 0, s>>>(op, xp, x.dtype, op_, out.dtype, w, n);
      });
  checkLaunch("unary");
}

void launchParamUnary(int op, double p0, double p1, const DView& x, const DView& out) {
  const DView* ops[2] = {&x, &out};
  const Geometry<2> g = geometryOf<2>(out, ops);
  const bool f32 = x.dtype == kFloat32 && out.dtype == kFloat32;
  cudaStream_t s = stream();
  const void* xp = x.ptr();
  void* op_ = out.ptr();
  launchIndexed(
      g,
      [&](unsigned grid, Walker<2, int32_t> w, int32_t n) {
        if (f32) paramKernel<true, int32_t><<<grid, kThreads, 0, s>>>(op, p0, p1, xp, x.dtype, op_, out.dtype, w, n);
        else paramKernel<false, int32_t><<<grid, kThreads, 0, s>>>(op, p0, p1, xp, x.dtype, op_, out.dtype, w, n);
      },
      [&](unsigned grid, Walker<2, int64_t> w, int64_t n) {
        if (f32) paramKernel<true, int64_t><<<grid, kThreads, 0, s>>>(op, p0, p1, xp, x.dtype, op_, out.dtype, w, n);
        else paramKernel<false, int64_t><<<grid, kThreads, 0, s>>>(op, p0, p1, xp, x.dtype, op_, out.dtype, w, n);
      });
  checkLaunch("paramUnary");
}

void launchBinary(int op, const DView& a, const DView& b, const DView& out) {
  const DView* ops[3] = {&a, &b, &out};
  const Geometry<3> g = geometryOf<3>(out, ops);
  const bool f32 = a.dtype == kFloat32 && b.dtype == kFloat32 && out.dtype == kFloat32;
  const bool intMul = op == static_cast<int>(BinaryOp::mul) && out.dtype == kInt32;
  cudaStream_t s = stream();
  const void *ap = a.ptr(), *bp = b.ptr();
  void* op_ = out.ptr();
  launchIndexed(
      g,
      [&](unsigned grid, Walker<3, int32_t> w, int32_t n) {
        if (f32) binaryKernel<true, int32_t><<<grid, kThreads, 0, s>>>(op, ap, a.dtype, bp, b.dtype, op_, out.dtype, false, w, n);
        else binaryKernel<false, int32_t><<<grid, kThreads, 0, s>>>(op, ap, a.dtype, bp, b.dtype, op_, out.dtype, intMul, w, n);
      },
      [&](unsigned grid, Walker<3, int64_t> w, int64_t n) {
        if (f32) binaryKernel<true, int64_t><<<grid, kThreads, 0, s>>>(op, ap, a.dtype, bp, b.dtype, op_, out.dtype, false, w, n);
        else binaryKernel<false, int64_t><<<grid, kThreads, 0, s>>>(op, ap, a.dtype, bp, b.dtype, op_, out.dtype, intMul, w, n);
      });
  checkLaunch("binary");
}

void launchWhere(const DView& cond, const DView& a, const DView& b, const DView& out) {
  switch (itemSize(out.dtype)) {
    case 1: return whereTyped<uint8_t>(cond, a, b, out);
    case 4: return whereTyped<uint32_t>(cond, a, b, out);
    default: return whereTyped<uint64_t>(cond, a, b, out);
  }
}

}  // namespace nabla_cuda
