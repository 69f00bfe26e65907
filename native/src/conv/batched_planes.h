// Algorithm: small planes, with the batch as the GEMM's long dimension.
//
// Deep layers of a network on small images (ResNet-18 on 32×32 ends with 1×1 and 2×2 planes) have
// few output positions per image: an image-by-image GEMM has N (or K) = a handful of positions and
// runs at matrix-vector speed, re-reading all of W per image. Here the column blocks of many images
// sit side by side, col[t, j·P + p], so one GEMM covers a whole block of images:
//   forward          out[co, (j, p)] = W·col           (then scattered to [N, Cout, P])
//   backward-data    col = Wᵀ·gy[co, (j, p)]            (then col2im per image)
//   backward-filter  gw += gy[co, (j, p)]·colᵀ
// Taps that only ever read padding are left out of the columns and of the products.

#pragma once

#include <cstdint>

#include "bias.h"
#include "geometry.h"

namespace nabla::conv {

bool batchedPlanesForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias);
bool batchedPlanesBackwardData(const Geometry& g, const float* GY, const float* W, float* GX);
bool batchedPlanesBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb);

}  // namespace nabla::conv
