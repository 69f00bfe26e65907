// Algorithm: depthwise convolution (groups = Cin = Cout: one filter per channel, MobileNet's 3×3
// layers), directly on each channel's plane, any kernel, stride, padding and dilation. A GEMM has
// nothing to share here (one input channel per output channel), and the per-group loops of the
// other paths run a whole image's channels on one thread; these kernels spread the planes
// themselves over the pool, so a batch of 1 uses every thread.
//   forward          o[n, c] row  += w[c, tap] · x[n, c] row segment, tap by tap
//   backward-data    gx[n, c] row segment += w[c, tap] · gy[n, c] row
//   backward-filter  gw[c, tap]   = Σ_n Σ_rows gy row · x row segment (channels over the pool,
//                                   images summed in order: reproducible)

#pragma once

#include <cstdint>

#include "bias.h"
#include "geometry.h"

namespace nabla::conv {

/** Whether g is depthwise: more than one group, one input and one output channel each. */
inline bool depthwiseFits(const Geometry& g) { return g.groups > 1 && g.cinG == 1 && g.coutG == 1; }

/** Each returns true (they need no scratch: the same signature as the other algorithms'). */
bool depthwiseForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias);
bool depthwiseBackwardData(const Geometry& g, const float* GY, const float* W, float* GX);
bool depthwiseBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb);

}  // namespace nabla::conv
