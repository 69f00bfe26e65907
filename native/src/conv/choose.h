// Which algorithm runs a convolution pass, decided from its geometry alone: every heuristic of the
// convolution kernels is in choose.cc, each rule with the reason for it.

#pragma once

#include <cstdint>

#include "geometry.h"

namespace nabla::conv {

enum class ConvPass { kForward, kBackwardData, kBackwardFilter };

enum class ConvAlgorithm {
  kBatchedPlanes,             // batched_planes.h: small planes, many images per GEMM
  kPaddedDirect,              // padded.h with the direct kernels (forward tiles, backward-filter gy rows)
  kPaddedDirectGyTransposed,  // padded.h, backward-filter only: gy as [position][channel], taps × channels tiles
  kPaddedGemm,                // padded.h with the GEMM reading the padded image through offset tables
  kRowDirect,                 // row_direct.h: output rows × taps on the image as it is, any stride
  kPointwiseGemm,             // im2col_gemm.h, 1×1 stride-1 unpadded: the image is the column matrix
  kIm2colGemm,                // im2col_gemm.h: explicit column blocks, any stride
  kWinograd,                  // winograd.h: F(4×4, 3×3), forward and backward-data
  kStridedPointwiseGemm,      // im2col_gemm.h: 1×1 unpadded with a stride, a strided gather + GEMM
  kDepthwise,                 // depthwise.h: groups = Cin = Cout, one plane per channel
  kCount
};

/** The algorithm for g's pass (a forced one where it can run g, see forceConvAlgorithm). */
ConvAlgorithm choose(const Geometry& g, ConvPass pass);

/** Its name in forceConvAlgorithm and convAlgorithmsUsed ("winograd", "pointwise", ...). */
const char* algorithmName(ConvAlgorithm a);

/**
 * Tests and benchmarks: make choose() return the named algorithm wherever it can run the pass
 * (elsewhere the usual choice stands); nullptr or "" goes back to choosing by shape. False for a
 * name that cannot be forced. Forceable: winograd, pointwise, strided-pointwise, depthwise, im2col,
 * padded-gemm (forward only), batched-planes (batches of 2 or more, layers too wide for the direct kernels).
 */
bool forceConvAlgorithm(const char* name);
/** The forced algorithm's name, "" when none. */
const char* forcedConvAlgorithm();
/** The algorithm the last choose() of each pass returned (kCount before any). */
ConvAlgorithm lastChosen(ConvPass pass);

}  // namespace nabla::conv
