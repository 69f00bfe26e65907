// A validated strided window onto a device buffer, as the entry points hand it to the kernels'
// launch functions (launch.h). Plain C++: the kernels need no Node-API header.

#pragma once

#include <cstdint>
#include <string>

#include "common.h"

namespace nabla_cuda {

struct DeviceBuffer;

/** Element (i0, i1, ...) is at offset + sum ik*strides[k] of the buffer. */
struct DView {
  DType dtype = kFloat32;
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
  int64_t offset = 0;
  int64_t numel = 0;
  /** Element 0 of the buffer (not of the view); null for an empty buffer. */
  char* base = nullptr;
  /** Elements of this dtype the buffer holds. */
  int64_t length = 0;
  /** The buffer itself (so two views can be told to share one). */
  const DeviceBuffer* buffer = nullptr;

  /** Device address of the view's first element (offset applied). */
  void* ptr() const { return base ? base + offset * itemSize(dtype) : nullptr; }
  template <class T>
  T* at() const { return static_cast<T*>(ptr()); }

  /** Covers numel elements densely in row-major order from offset. */
  bool dense() const {
    int64_t expected = 1;
    for (int d = ndim - 1; d >= 0; d--) {
      if (shape[d] == 1) continue;
      if (strides[d] != expected) return false;
      expected *= shape[d];
    }
    return true;
  }
};

inline std::string shapeText(const int64_t* shape, int ndim) {
  std::string s = "[";
  for (int i = 0; i < ndim; i++) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

inline std::string shapeText(const DView& v) { return shapeText(v.shape, v.ndim); }

inline bool sameShape(const DView& a, const DView& b) {
  if (a.ndim != b.ndim) return false;
  for (int i = 0; i < a.ndim; i++)
    if (a.shape[i] != b.shape[i]) return false;
  return true;
}

/** The strides of a contiguous row-major layout of `shape`. */
inline void contiguousStrides(const int64_t* shape, int ndim, int64_t* out) {
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d];
  }
}

}  // namespace nabla_cuda
