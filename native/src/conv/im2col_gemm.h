// Algorithm: explicit column blocks + the packed GEMM, image by image, any stride.
//   forward          out[co, p]  = Σ_t w[co, t]·col[t, p]
//   backward-data    col'[t, p]  = Σ_co w[co, t]·gy[co, p], scatter-added into gx (col2im)
//   backward-filter  gw[co, t]  += Σ_p gy[co, p]·col[t, p]
// The column block of an image is built in chunks of positions when the whole plane's would be
// too big. A pointwise (1×1, stride-1, unpadded) convolution skips the columns: the image is
// already the column matrix, so it is handed to the GEMM as it is; a strided 1×1 one (ResNet's
// downsampling shortcuts) needs only the inputs it reads, gathered into a [Cin, positions] block.

#pragma once

#include <cstdint>

#include "bias.h"
#include "geometry.h"

namespace nabla::conv {

bool im2colGemmForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias);
bool im2colGemmBackwardData(const Geometry& g, const float* GY, const float* W, float* GX);
bool im2colGemmBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb);

/** gw += one image-group's filter gradient through column blocks (also the padded path's exact fallback). */
bool im2colGemmFilterGroup(const Geometry& g, const float* x, const float* gy, float* gw, bool nestedParallel);

bool pointwiseGemmForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias);
bool pointwiseGemmBackwardData(const Geometry& g, const float* GY, const float* W, float* GX);
bool pointwiseGemmBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb);

bool stridedPointwiseForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias);
bool stridedPointwiseBackwardData(const Geometry& g, const float* GY, const float* W, float* GX);
bool stridedPointwiseBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb);

}  // namespace nabla::conv
