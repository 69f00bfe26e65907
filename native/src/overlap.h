// When a kernel may split its writes over threads, or reorder them, without changing its result:
// the output view must address every element once (no zero or interleaved strides) and its typed
// array must not share memory with the arrays the kernel reads. Otherwise the kernel keeps the cpu
// backend's exact order of reads and writes on one thread.

#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "checks.h"

namespace nabla {

inline size_t elementBytes(DType d) { return d == kFloat64 ? 8 : d == kBool ? 1 : 4; }

/**
 * True when no two positions of v address the same element. Sufficient test: sorted by stride
 * magnitude, each dim's stride steps past everything the smaller dims reach.
 */
inline bool addressesEachElementOnce(const View& v) {
  int order[kMaxDims];
  int n = 0;
  for (int d = 0; d < v.ndim; d++) {
    if (v.shape[d] <= 1) continue;
    if (v.strides[d] == 0) return false;
    order[n++] = d;
  }
  auto magnitude = [&v](int d) { return v.strides[d] < 0 ? -v.strides[d] : v.strides[d]; };
  std::sort(order, order + n, [&](int a, int b) { return magnitude(a) < magnitude(b); });
  int64_t reach = 0;  // the largest offset the dims sorted so far reach from the view's first element
  for (int k = 0; k < n; k++) {
    const int64_t s = magnitude(order[k]);
    if (s <= reach) return false;
    reach += s * (v.shape[order[k]] - 1);
  }
  return true;
}

/** Whether the typed arrays behind a and b overlap (two views of one ArrayBuffer included). */
inline bool sharesMemory(const View& a, const View& b) {
  const uintptr_t a0 = reinterpret_cast<uintptr_t>(a.data), a1 = a0 + static_cast<uintptr_t>(a.length) * elementBytes(a.dtype);
  const uintptr_t b0 = reinterpret_cast<uintptr_t>(b.data), b1 = b0 + static_cast<uintptr_t>(b.length) * elementBytes(b.dtype);
  return a0 < b1 && b0 < a1;
}

}  // namespace nabla
