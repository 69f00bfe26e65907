// Index kernels: indexSelect / indexAdd (whole slices picked along one axis by a 0-d or 1-d int32
// index) and gather / scatterAdd (one element per index position), as src/backend/cpu/indexing.ts.
// Index values are checked on the device: an out-of-range one is skipped and recorded, and the
// next synchronising call (a read) throws an Error naming the kernel, the value and the dim.
// The accumulating kernels use atomicAdd, so repeated indices add up in an unspecified order.

#include "context.h"
#include "launch.h"
#include "strided.h"

namespace nabla_cuda {

namespace {

constexpr int kThreads = 256;

/** Atomic accumulation for the element types the accumulating kernels take. */
__device__ __forceinline__ void addTo(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void addTo(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void addTo(int32_t* p, int32_t v) { atomicAdd(p, v); }

/** out[i] = x[i with coordinate axis replaced by index[j]], j the axis coordinate of i. */
template <typename T, typename I>
__global__ void indexSelectKernel(const T* x, const int32_t* index, T* out, Walker<2, I> w, I n, I inner, I m, I istep, I xa, I size, int axis,
                                  DeviceErrorRecord* errors) {
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<I>(gridDim.x) * blockDim.x) {
    I off[2];
    w.offsets(i, off);
    const I j = (i / inner) % m;
    const I v = index[j * istep];
    if (v < 0 || v >= size) {
      reportDeviceError(errors, DeviceCheck::kIndexSelect, v, axis, size);
      continue;
    }
    out[off[0]] = x[off[1] + v * xa];
  }
}

/** out[..., index[j], ...] += src[..., j, ...]. */
template <typename T, typename I>
__global__ void indexAddKernel(T* out, const int32_t* index, const T* src, Walker<2, I> w, I n, I inner, I m, I istep, I oa, I size, int axis,
                               DeviceErrorRecord* errors) {
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<I>(gridDim.x) * blockDim.x) {
    I off[2];
    w.offsets(i, off);
    const I j = (i / inner) % m;
    const I v = index[j * istep];
    if (v < 0 || v >= size) {
      reportDeviceError(errors, DeviceCheck::kIndexAdd, v, axis, size);
      continue;
    }
    addTo(out + off[1] + v * oa, src[off[0]]);
  }
}

/** Walker operands (index, out, x with a zero axis stride): out[p] = x[p, axis ← index[p]]. */
template <typename T, typename I>
__global__ void gatherKernel(const T* x, const int32_t* index, T* out, Walker<3, I> w, I n, I xa, I size, int axis, DeviceErrorRecord* errors) {
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<I>(gridDim.x) * blockDim.x) {
    I off[3];
    w.offsets(i, off);
    const I v = index[off[0]];
    if (v < 0 || v >= size) {
      reportDeviceError(errors, DeviceCheck::kGather, v, axis, size);
      continue;
    }
    out[off[1]] = x[off[2] + v * xa];
  }
}

/** Walker operands (index, src, out with a zero axis stride): out[p, axis ← index[p]] += src[p]. */
template <typename T, typename I>
__global__ void scatterAddKernel(T* out, const int32_t* index, const T* src, Walker<3, I> w, I n, I oa, I size, int axis, DeviceErrorRecord* errors) {
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<I>(gridDim.x) * blockDim.x) {
    I off[3];
    w.offsets(i, off);
    const I v = index[off[0]];
    if (v < 0 || v >= size) {
      reportDeviceError(errors, DeviceCheck::kScatterAdd, v, axis, size);
      continue;
    }
    addTo(out + off[2] + v * oa, src[off[1]]);
  }
}

/** Strides of v with a zero along axis: the index value supplies that coordinate. */
void zeroAxis(const DView& v, int axis, int64_t* out) {
  for (int d = 0; d < v.ndim; d++) out[d] = d == axis ? 0 : v.strides[d];
}

int64_t innerSize(const DView& v, int axis) {
  int64_t s = 1;
  for (int d = axis + 1; d < v.ndim; d++) s *= v.shape[d];
  return s;
}

/** Index view as (first element, step): a 0-d index is one value. */
void indexLine(const DView& index, int64_t& m, int64_t& step) {
  m = index.ndim == 0 ? 1 : index.shape[0];
  step = index.ndim == 0 ? 0 : index.strides[0];
}

template <int N>
bool fits(const Geometry<N>& g, int64_t extra) { return g.fits32() && extra < (int64_t(1) << 30); }

template <typename T>
void selectTyped(const DView& x, int axis, const DView& index, const DView& out) {
  int64_t xs[kMaxDims];
  zeroAxis(x, axis, xs);
  const int64_t* strides[2] = {out.strides, xs};
  const Geometry<2> g(out.ndim, out.shape, strides);
  if (g.numel == 0) return;
  int64_t m, istep;
  indexLine(index, m, istep);
  const int64_t inner = innerSize(out, axis), xa = x.strides[axis], size = x.shape[axis];
  const int64_t xReach = g.reach(1) + (size - 1) * (xa < 0 ? -xa : xa);
  cudaStream_t s = stream();
  auto run = [&](auto zero) {
    using I = decltype(zero);
    indexSelectKernel<T, I><<<gridFor(g.numel, kThreads), kThreads, 0, s>>>(x.at<T>(), index.at<int32_t>(), out.at<T>(), g.template walker<I>(),
                                                                          static_cast<I>(g.numel), static_cast<I>(inner), static_cast<I>(m),
                                                                          static_cast<I>(istep), static_cast<I>(xa), static_cast<I>(size), axis, deviceErrors());
  };
  if (fits(g, xReach) && xReach < INT32_MAX) run(int32_t(0));
  else run(int64_t(0));
  checkLaunch("indexSelect");
}

template <typename T>
void indexAddTyped(const DView& out, int axis, const DView& index, const DView& src) {
  int64_t os[kMaxDims];
  zeroAxis(out, axis, os);
  const int64_t* strides[2] = {src.strides, os};
  const Geometry<2> g(src.ndim, src.shape, strides);
  if (g.numel == 0) return;
  int64_t m, istep;
  indexLine(index, m, istep);
  const int64_t inner = innerSize(src, axis), oa = out.strides[axis], size = out.shape[axis];
  const int64_t oReach = g.reach(1) + (size - 1) * (oa < 0 ? -oa : oa);
  cudaStream_t s = stream();
  auto run = [&](auto zero) {
    using I = decltype(zero);
    indexAddKernel<T, I><<<gridFor(g.numel, kThreads), kThreads, 0, s>>>(out.at<T>(), index.at<int32_t>(), src.at<T>(), g.template walker<I>(),
                                                                       static_cast<I>(g.numel), static_cast<I>(inner), static_cast<I>(m),
                                                                       static_cast<I>(istep), static_cast<I>(oa), static_cast<I>(size), axis, deviceErrors());
  };
  if (fits(g, oReach) && oReach < INT32_MAX) run(int32_t(0));
  else run(int64_t(0));
  checkLaunch("indexAdd");
}

template <typename T>
void gatherTyped(const DView& x, int axis, const DView& index, const DView& out) {
  int64_t xs[kMaxDims];
  zeroAxis(x, axis, xs);
  const int64_t* strides[3] = {index.strides, out.strides, xs};
  const Geometry<3> g(index.ndim, index.shape, strides);
  if (g.numel == 0) return;
  const int64_t xa = x.strides[axis], size = x.shape[axis];
  const int64_t xReach = g.reach(2) + (size - 1) * (xa < 0 ? -xa : xa);
  cudaStream_t s = stream();
  auto run = [&](auto zero) {
    using I = decltype(zero);
    gatherKernel<T, I><<<gridFor(g.numel, kThreads), kThreads, 0, s>>>(x.at<T>(), index.at<int32_t>(), out.at<T>(), g.template walker<I>(),
                                                                     static_cast<I>(g.numel), static_cast<I>(xa), static_cast<I>(size), axis, deviceErrors());
  };
  if (fits(g, xReach) && xReach < INT32_MAX) run(int32_t(0));
  else run(int64_t(0));
  checkLaunch("gather");
}

template <typename T>
void scatterAddTyped(const DView& out, int axis, const DView& index, const DView& src) {
  int64_t os[kMaxDims];
  zeroAxis(out, axis, os);
  const int64_t* strides[3] = {index.strides, src.strides, os};
  const Geometry<3> g(index.ndim, index.shape, strides);
  if (g.numel == 0) return;
  const int64_t oa = out.strides[axis], size = out.shape[axis];
  const int64_t oReach = g.reach(2) + (size - 1) * (oa < 0 ? -oa : oa);
  cudaStream_t s = stream();
  auto run = [&](auto zero) {
    using I = decltype(zero);
    scatterAddKernel<T, I><<<gridFor(g.numel, kThreads), kThreads, 0, s>>>(out.at<T>(), index.at<int32_t>(), src.at<T>(), g.template walker<I>(),
                                                                         static_cast<I>(g.numel), static_cast<I>(oa), static_cast<I>(size), axis,
                                                                         deviceErrors());
  };
  if (fits(g, oReach) && oReach < INT32_MAX) run(int32_t(0));
  else run(int64_t(0));
  checkLaunch("scatterAdd");
}

}  // namespace

void launchIndexSelect(const DView& x, int axis, const DView& index, const DView& out) {
  // Values move bit for bit: pick the unsigned type of the element's size.
  switch (itemSize(x.dtype)) {
    case 1: return selectTyped<uint8_t>(x, axis, index, out);
    case 4: return selectTyped<uint32_t>(x, axis, index, out);
    default: return selectTyped<uint64_t>(x, axis, index, out);
  }
}

void launchGather(const DView& x, int axis, const DView& index, const DView& out) {
  switch (itemSize(x.dtype)) {
    case 1: return gatherTyped<uint8_t>(x, axis, index, out);
    case 4: return gatherTyped<uint32_t>(x, axis, index, out);
    default: return gatherTyped<uint64_t>(x, axis, index, out);
  }
}

void launchIndexAdd(const DView& out, int axis, const DView& index, const DView& src) {
  switch (out.dtype) {
    case kFloat64: return indexAddTyped<double>(out, axis, index, src);
    case kInt32: return indexAddTyped<int32_t>(out, axis, index, src);
    default: return indexAddTyped<float>(out, axis, index, src);
  }
}

void launchScatterAdd(const DView& out, int axis, const DView& index, const DView& src) {
  switch (out.dtype) {
    case kFloat64: return scatterAddTyped<double>(out, axis, index, src);
    case kInt32: return scatterAddTyped<int32_t>(out, axis, index, src);
    default: return scatterAddTyped<float>(out, axis, index, src);
  }
}

}  // namespace nabla_cuda
