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
};

ConvAlgorithm choose(const Geometry& g, ConvPass pass);

}  // namespace nabla::conv
