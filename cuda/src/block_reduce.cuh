// Warp and block reductions used by the reduction, softmax, normalisation and loss kernels.

#pragma once

namespace nabla_cuda {

struct SumOp {
  template <typename T>
  __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {
  /** NaN wins, so a row holding NaN reduces to NaN as the cpu backend's does. */
  template <typename T>
  __device__ __forceinline__ T operator()(T a, T b) const { return (a != a || a > b) ? a : b; }
};

template <typename T, typename Op>
__device__ __forceinline__ T warpReduce(T v, Op op) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_down_sync(0xffffffffu, v, o));
  return v;
}

/** Reduce v over the warp with the result in every lane (butterfly). */
template <typename T, typename Op>
__device__ __forceinline__ T warpAllReduce(T v, Op op) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/** Reduce v over the block (blockDim.x a multiple of 32, at most 1024); the result is valid in thread 0. */
template <typename T, typename Op>
__device__ __forceinline__ T blockReduce(T v, Op op, T identity) {
  __shared__ T partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warpReduce(v, op);
  __syncthreads();  // partial may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  v = threadIdx.x < warps ? partial[threadIdx.x] : identity;
  if (warp == 0) v = warpReduce(v, op);
  return v;
}

/** As blockReduce, with the result broadcast to every thread of the block. */
template <typename T, typename Op>
__device__ __forceinline__ T blockAllReduce(T v, Op op, T identity) {
  __shared__ T result;
  v = blockReduce(v, op, identity);
  if (threadIdx.x == 0) result = v;
  __syncthreads();
  return result;
}

}  // namespace nabla_cuda
