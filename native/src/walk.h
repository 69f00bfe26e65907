// Walking several strided operands of one shape row by row, as the cpu backend's forEachRow does:
// dims that are contiguous in every operand are merged and size-1 dims dropped, then the body
// gets one call per innermost row with each operand's starting offset and inner stride. Large
// walks are split over the thread pool by rows.

#pragma once

#include <cstdint>

#include "checks.h"
#include "threadpool.h"

namespace nabla {

constexpr int kMaxOperands = 4;

struct Walk {
  int nops = 0;
  int nd = 0;  // collapsed rank (0: a single element)
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxOperands][kMaxDims] = {};
  int64_t total = 0;

  /** Collapse `shape` for operands whose strides are given (all of rank ndim). */
  Walk(const int64_t* fullShape, int ndim, const int64_t* const* opStrides, int n) : nops(n) {
    total = 1;
    for (int d = 0; d < ndim; d++) total *= fullShape[d];
    for (int d = 0; d < ndim; d++) {
      if (fullShape[d] == 1) continue;
      bool merge = nd > 0;
      for (int k = 0; merge && k < nops; k++) merge = strides[k][nd - 1] == opStrides[k][d] * fullShape[d];
      if (merge) {
        shape[nd - 1] *= fullShape[d];
        for (int k = 0; k < nops; k++) strides[k][nd - 1] = opStrides[k][d];
      } else {
        shape[nd] = fullShape[d];
        for (int k = 0; k < nops; k++) strides[k][nd] = opStrides[k][d];
        nd++;
      }
    }
  }

  int64_t rowLength() const { return nd == 0 ? 1 : shape[nd - 1]; }
  int64_t rows() const { return total == 0 ? 0 : total / rowLength(); }
  int64_t inner(int k) const { return nd == 0 ? 0 : strides[k][nd - 1]; }

  /**
   * body(offsets, n, inner) for rows [r0, r1): offsets[k] is the row's start in operand k,
   * relative to base[k].
   */
  template <class Body>
  void rowsInRange(const int64_t* base, int64_t r0, int64_t r1, Body&& body) const {
    if (r0 >= r1) return;
    const int64_t n = rowLength();
    int64_t in[kMaxOperands];
    for (int k = 0; k < nops; k++) in[k] = inner(k);
    const int outer = nd > 0 ? nd - 1 : 0;
    int64_t idx[kMaxDims];
    int64_t off[kMaxOperands];
    // Decompose r0 into the outer odometer.
    int64_t rest = r0;
    for (int k = 0; k < nops; k++) off[k] = base[k];
    for (int d = outer - 1; d >= 0; d--) {
      idx[d] = rest % shape[d];
      rest /= shape[d];
      for (int k = 0; k < nops; k++) off[k] += idx[d] * strides[k][d];
    }
    for (int64_t r = r0; r < r1; r++) {
      body(static_cast<const int64_t*>(off), n, static_cast<const int64_t*>(in));
      for (int d = outer - 1; d >= 0; d--) {
        for (int k = 0; k < nops; k++) off[k] += strides[k][d];
        if (++idx[d] < shape[d]) break;
        for (int k = 0; k < nops; k++) off[k] -= strides[k][d] * shape[d];
        idx[d] = 0;
      }
    }
  }

  /**
   * Every row, split over the pool when the walk has at least `parallelElements` elements. The
   * body may run on several threads at once (for disjoint rows). A single long row is split too.
   */
  template <class Body>
  void forEachRow(const int64_t* base, int64_t parallelElements, Body&& body) const {
    if (total == 0) return;
    const int64_t n = rowLength(), nrows = rows();
    if (total < parallelElements || numThreads() == 1) {
      rowsInRange(base, 0, nrows, body);
      return;
    }
    if (nrows == 1) {
      // One long row: cut it into pieces.
      int64_t in[kMaxOperands];
      for (int k = 0; k < nops; k++) in[k] = inner(k);
      parallelRanges(n, parallelElements / 2, [&](int64_t b, int64_t e, int) {
        int64_t off[kMaxOperands];
        for (int k = 0; k < nops; k++) off[k] = base[k] + b * in[k];
        body(static_cast<const int64_t*>(off), e - b, static_cast<const int64_t*>(in));
      });
      return;
    }
    int64_t grain = parallelElements / (2 * n);
    if (grain < 1) grain = 1;
    parallelRanges(nrows, grain, [&](int64_t b, int64_t e, int) { rowsInRange(base, b, e, body); });
  }
};

}  // namespace nabla
