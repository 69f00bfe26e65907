// Algorithm: stride-1 convolution on padded copies of the images (padded_layout.h), nearly every
// CNN layer. Each image-group is copied once into a zero-padded buffer; then either
//  - the direct kernels (direct_kernels.inc) multiply it in place, in register tiles, for thin or
//    narrow layers, or
//  - the packed GEMM reads it as an implicit im2col matrix through a table of tap offsets (row
//    offsets for forward, column offsets for backward-filter), for wider ones.
// Backward-data is the forward convolution of gy with flipped, channel-swapped filters. The
// forward can also pool each image's result (relu, 2×2 max) straight from scratch: the fused
// conv → relu → max pool block, whose conv output is never written out.

#pragma once

#include <cstdint>

#include "bias.h"
#include "choose.h"
#include "geometry.h"

namespace nabla::conv {

/**
 * Where the fused conv → relu → 2×2 max pool writes: each image's conv output stays in this
 * thread's scratch, and only the pooled planes ([N, Cout, OH, OW]) and their indices reach memory.
 */
struct PoolTarget {
  float* out = nullptr;
  int32_t* idx = nullptr;
  int64_t OH = 0, OW = 0;
};

/**
 * O = conv(X, W) + bias; with a pool target, the pooled relu of that instead (O unused). product
 * is kPaddedDirect or kPaddedGemm (choose()).
 */
bool paddedForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias, ConvAlgorithm product,
                   const PoolTarget* pool = nullptr);

/**
 * Backward-data's filters as a forward convolution t's (backwardDataAsForward): w2 (every group) =
 * W flipped with its two channel dims swapped, row ci, tap (co, k) = w[co, ci, kvol − 1 − k].
 */
void flipFilters(const Geometry& g, const Geometry& t, const float* W, float* w2);

/** GX from GY as a forward convolution; product as choose(g, kBackwardData) says (kPaddedDirect or kPaddedGemm). */
bool paddedBackwardData(const Geometry& g, const float* GY, const float* W, float* GX, ConvAlgorithm product);

/** GW (and gb); product is kPaddedDirect, kPaddedDirectGyTransposed or kPaddedGemm. */
bool paddedBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb, ConvAlgorithm product);

}  // namespace nabla::conv
