// Walking several strided operands of one shape on the device: element `linear` (row-major over
// the shape) of every operand. The host collapses dims that are contiguous for all operands and
// drops size-1 dims first (as the cpu backend's forEachRow does), so most calls end with one or
// two dims. Index arithmetic is 32-bit when every offset fits, 64-bit otherwise.

#pragma once

#include <cstdint>
#include <cstdlib>

#include "common.h"

namespace nabla_cuda {

/**
 * N operands over one collapsed shape. Dims are stored innermost first so the unrolled loop in
 * offsets() indexes the arrays with constants (dynamic indexing would spill them to local memory).
 */
template <int N, typename I>
struct Walker {
  int nd;
  I shape[kMaxDims];
  I strides[N][kMaxDims];

  /** off[k] = offset (in elements) of element `linear` within operand k. */
  __host__ __device__ __forceinline__ void offsets(I linear, I* off) const {
#pragma unroll
    for (int k = 0; k < N; k++) off[k] = 0;
    if (nd == 1) {
#pragma unroll
      for (int k = 0; k < N; k++) off[k] = linear * strides[k][0];
      return;
    }
#pragma unroll
    for (int d = 0; d < kMaxDims; d++) {
      if (d == nd) break;
      const I q = linear / shape[d];
      const I r = linear - q * shape[d];
      linear = q;
#pragma unroll
      for (int k = 0; k < N; k++) off[k] += r * strides[k][d];
    }
  }
};

/** A collapsed geometry in 64-bit numbers, outermost dim first; converted to a Walker to launch. */
template <int N>
struct Geometry {
  int nd = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};
  int64_t numel = 0;

  /** Collapse `shape` (rank ndim) for N operands whose strides are given. */
  Geometry(int ndim, const int64_t* fullShape, const int64_t* const* opStrides) {
    numel = 1;
    for (int d = 0; d < ndim; d++) numel *= fullShape[d];
    for (int d = 0; d < ndim; d++) {
      if (fullShape[d] == 1) continue;
      bool merge = nd > 0;
      for (int k = 0; merge && k < N; k++) merge = strides[k][nd - 1] == opStrides[k][d] * fullShape[d];
      if (merge) {
        shape[nd - 1] *= fullShape[d];
        for (int k = 0; k < N; k++) strides[k][nd - 1] = opStrides[k][d];
      } else {
        shape[nd] = fullShape[d];
        for (int k = 0; k < N; k++) strides[k][nd] = opStrides[k][d];
        nd++;
      }
    }
  }

  /** Largest |offset| operand k reaches from its first element. */
  int64_t reach(int k) const {
    int64_t r = 0;
    for (int d = 0; d < nd; d++) r += (shape[d] - 1) * std::llabs(strides[k][d]);
    return r;
  }

  /**
   * Whether element counts and every operand's reach fit 32-bit signed index arithmetic (with room
   * for a grid-stride loop to step past the end without overflowing).
   */
  bool fits32() const {
    if (numel > (int64_t(1) << 30)) return false;
    for (int k = 0; k < N; k++)
      if (reach(k) > INT32_MAX) return false;
    return true;
  }

  /** Operand k is walked densely (stride 1 over the collapsed single dim). */
  bool unitStride(int k) const { return nd == 0 || (nd == 1 && strides[k][0] == 1); }

  template <typename I>
  Walker<N, I> walker() const {
    Walker<N, I> w{};
    w.nd = nd;
    for (int d = 0; d < nd; d++) {
      const int r = nd - 1 - d;  // innermost first
      w.shape[d] = static_cast<I>(shape[r]);
      for (int k = 0; k < N; k++) w.strides[k][d] = static_cast<I>(strides[k][r]);
    }
    return w;
  }
};

/** Grid size for a grid-stride loop over n items with `threads` per block. */
inline unsigned gridFor(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  // Enough blocks to fill any current GPU many times over; the loop covers the rest.
  const int64_t cap = 65536;
  if (blocks > cap) blocks = cap;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks);
}

}  // namespace nabla_cuda
