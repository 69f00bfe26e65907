// Loads and stores with the cpu backend's semantics: values travel as a compute type (float for
// float32 work, double otherwise) and are stored as a typed array would store a JavaScript number:
// int32 by ToInt32 of the truncated value (wrapping, NaN and ±∞ to 0), bool as 1 for any non-zero.

#pragma once

#include <cstdint>

#include "common.h"

namespace nabla_cuda {

__host__ __device__ inline int32_t jsToInt32(double v) {
  if (!isfinite(v)) return 0;
  double t = fmod(trunc(v), 4294967296.0);
  if (t < 0) t += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(t));
}

/** A Uint8Array store of a number (TypedArray.fill's conversion): modulo 256. */
__host__ __device__ inline uint8_t jsToUint8(double v) {
  if (!isfinite(v)) return 0;
  double t = fmod(trunc(v), 256.0);
  if (t < 0) t += 256.0;
  return static_cast<uint8_t>(t);
}

template <typename C>
__device__ __forceinline__ C loadAs(const void* p, int dtype, long long i) {
  switch (dtype) {
    case kFloat32: return static_cast<C>(static_cast<const float*>(p)[i]);
    case kFloat64: return static_cast<C>(static_cast<const double*>(p)[i]);
    case kInt32: return static_cast<C>(static_cast<const int32_t*>(p)[i]);
    default: return static_cast<C>(static_cast<const uint8_t*>(p)[i]);
  }
}

template <typename C>
__device__ __forceinline__ void storeAs(void* p, int dtype, long long i, C v) {
  switch (dtype) {
    case kFloat32: static_cast<float*>(p)[i] = static_cast<float>(v); break;
    case kFloat64: static_cast<double*>(p)[i] = static_cast<double>(v); break;
    case kInt32: static_cast<int32_t*>(p)[i] = jsToInt32(static_cast<double>(v)); break;
    default: static_cast<uint8_t*>(p)[i] = v != C(0) ? 1 : 0; break;  // NaN counts as non-zero, as in JS
  }
}

/** The typed conversion a cast (copy) performs. */
template <typename Out>
struct Convert {
  template <typename In>
  __device__ static Out from(In v) { return static_cast<Out>(v); }
};
template <>
struct Convert<int32_t> {
  __device__ static int32_t from(int32_t v) { return v; }
  __device__ static int32_t from(uint8_t v) { return v; }
  __device__ static int32_t from(float v) { return jsToInt32(v); }
  __device__ static int32_t from(double v) { return jsToInt32(v); }
};
template <>
struct Convert<uint8_t> {
  template <typename In>
  __device__ static uint8_t from(In v) { return v != In(0) ? 1 : 0; }
};

}  // namespace nabla_cuda
