// The per-output-channel vectors of a convolution: the forward's bias, added while each result is
// still in cache, and backward-filter's bias gradient, summed from the gy planes it reads anyway
// (instead of a broadcast add and a reduction over the whole activation).

#pragma once

#include <cstdint>

#include "geometry.h"

namespace nabla::conv {

/** A per-output-channel vector: element c at p[c·stride]; p null when absent. */
template <class T>
struct ChannelVector {
  T* p = nullptr;
  int64_t stride = 0;
  T& operator[](int64_t c) const { return p[c * stride]; }
  ChannelVector from(int64_t c0) const { return {p ? p + c0 * stride : nullptr, stride}; }
};
using Bias = ChannelVector<const float>;
using BiasGrad = ChannelVector<float>;

/** o[c, p] += bias[c] over `channels` planes of `plane` positions (no-op without a bias). */
void addBias(float* o, int64_t channels, int64_t plane, const Bias& bias);

/**
 * Σ of one plane's n floats: blocks of 64 summed in eight float lanes (two SSE vectors), each
 * block's lanes then added in double, so the rounding error does not grow with the plane.
 */
double planeSum(const float* p, int64_t n);

/** gb[c] = Σ over images and positions of gy, on the calling thread. */
void biasGradient(const Geometry& g, const float* GY, const BiasGrad& gb);

}  // namespace nabla::conv
