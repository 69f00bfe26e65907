// Column blocks (im2col) and their adjoint (col2im): the explicit form of the matrix a convolution
// multiplies, col[tap, position] = the input value that tap reads for that output position (zero
// in the padding). The im2col + GEMM and batched-plane algorithms build them.

#pragma once

#include <cstdint>

#include "geometry.h"

namespace nabla::conv {

/** Largest column block (floats) built at once: bigger images are cut into position chunks, batches into image blocks. */
constexpr int64_t kMaxColumnFloats = int64_t(1) << 21;

/**
 * col[t, j] (row t at col + t·ld, ld = len unless given) for positions p0..p0+len of one
 * image-group (x points at its first channel); with a tap list, only those taps' rows.
 */
void im2col(const Geometry& g, const float* x, int64_t p0, int64_t len, float* col, int64_t ld = -1, const TapList& list = {});

/** The adjoint: gx[...] += col[t, j] for every in-range element (gx points at the group's first channel). */
void col2im(const Geometry& g, const float* col, int64_t p0, int64_t len, float* gx, int64_t ld = -1, const TapList& list = {});

}  // namespace nabla::conv
