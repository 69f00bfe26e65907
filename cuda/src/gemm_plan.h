// Planning a row-major batched matrix product as cuBLAS calls (host code, no cuBLAS types, so the
// host check in cuda/check/host_check.cu can execute the plan with a reference column-major GEMM).
//
// cuBLAS is column-major. A row-major product C = A·B is the column-major product Cᵀ = Bᵀ·Aᵀ, and
// a row-major operand read column-major is its own transpose: so each operand needs only a
// transpose flag and a leading dimension taken from its two inner strides. Batch dims (already
// broadcast, zero strides where an operand repeats) are collapsed; the innermost becomes the
// strided batch, the rest a host loop. A shared right operand with evenly stacked left rows
// (x[B, M, K] · W[K, N]) is folded into one tall product.

#pragma once

#include <cstdint>
#include <vector>

#include "strided.h"
#include "view.h"

namespace nabla_cuda {

/** How cuBLAS reads a rows×cols operand with strides (rs, cs): stored row-major or column-major. */
struct GemmOperand {
  bool ok = false;
  bool rowMajor = false;
  int64_t ld = 0;
};

inline GemmOperand gemmOperand(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  GemmOperand o;
  const int64_t minCols = cols > 1 ? cols : 1, minRows = rows > 1 ? rows : 1;
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= minCols)) {
    o.ok = true;
    o.rowMajor = true;
    o.ld = rows == 1 ? minCols : rs;
  } else if ((rs == 1 || rows == 1) && (cols == 1 || cs >= minRows)) {
    o.ok = true;
    o.rowMajor = false;
    o.ld = cols == 1 ? minRows : cs;
  }
  return o;
}

/**
 * One cublas<t>gemmStridedBatched(handle, transa, transb, m, n, k, 1, B + offB, ldb, strideB,
 * A + offA, lda, strideA, 0, C + offC, ldc, strideC, batch): cuBLAS's first operand is our b.
 */
struct GemmCall {
  bool transFirst = false;   // transa: b is stored column-major
  bool transSecond = false;  // transb: a is stored column-major
  int64_t m = 0, n = 0, k = 0;
  int64_t offB = 0, ldb = 0, strideB = 0;
  int64_t offA = 0, lda = 0, strideA = 0;
  int64_t offC = 0, ldc = 0, strideC = 0;
  int64_t batch = 1;
};

/** The calls computing O = A·B (O dense, A and B readable: la.ok and lb.ok). Offsets are elements from each view's first element. */
inline std::vector<GemmCall> planGemm(const DView& A, const GemmOperand& la, const DView& B, const GemmOperand& lb, const DView& O) {
  const int r = O.ndim;
  const int64_t M = O.shape[r - 2], N = O.shape[r - 1], K = A.shape[r - 1];
  GemmCall base;
  base.transFirst = !lb.rowMajor;
  base.transSecond = !la.rowMajor;
  base.m = N;
  base.n = M;
  base.k = K;
  base.ldb = lb.ld;
  base.lda = la.ld;
  base.ldc = N;
  std::vector<GemmCall> calls;
  const int64_t* strides[3] = {A.strides, B.strides, O.strides};
  const Geometry<3> g(r - 2, O.shape, strides);
  if (g.nd == 0) {
    calls.push_back(base);
  } else if (g.nd == 1 && g.strides[1][0] == 0 && la.rowMajor && g.strides[0][0] == M * la.ld && g.strides[2][0] == M * N) {
    // x[B, M, K] · W[K, N]: one (B·M) × N product, W read once.
    GemmCall c = base;
    c.n = g.shape[0] * M;
    calls.push_back(c);
  } else {
    const int last = g.nd - 1;
    int64_t outer = 1;
    for (int d = 0; d < last; d++) outer *= g.shape[d];
    for (int64_t i = 0; i < outer; i++) {
      int64_t rest = i;
      GemmCall c = base;
      for (int d = last - 1; d >= 0; d--) {
        const int64_t idx = rest % g.shape[d];
        rest /= g.shape[d];
        c.offA += idx * g.strides[0][d];
        c.offB += idx * g.strides[1][d];
        c.offC += idx * g.strides[2][d];
      }
      c.strideA = g.strides[0][last];
      c.strideB = g.strides[1][last];
      c.strideC = g.strides[2][last];
      c.batch = g.shape[last];
      calls.push_back(c);
    }
  }
  return calls;
}

}  // namespace nabla_cuda
