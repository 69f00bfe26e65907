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
 * image-group (x points at its first channel); with a tap list, only those taps' rows; with
 * t0/t1, only rows [t0, t1) (the callers' threads split the rows).
 */
void im2col(const Geometry& g, const float* x, int64_t p0, int64_t len, float* col, int64_t ld = -1, const TapList& list = {}, int64_t t0 = 0,
            int64_t t1 = -1);

/**
 * The adjoint: gx[...] += col[t, j] for every in-range element (gx points at the group's first
 * channel), rows [t0, t1) when given (ranges of whole channels never write the same element).
 */
void col2im(const Geometry& g, const float* col, int64_t p0, int64_t len, float* gx, int64_t ld = -1, const TapList& list = {}, int64_t t0 = 0,
            int64_t t1 = -1);

}  // namespace nabla::conv
