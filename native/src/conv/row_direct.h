// Algorithm: direct convolution by output rows, on the image as it is (no padded copy, any stride).
// For each output row and each tap whose input row exists, the input row segment times the tap's
// weight is accumulated into every output channel's row. No copies, no packing: it wins for thin
// layers (few taps per output) of any stride. It is also the exact fallback of the padded
// backward-filter for images holding an infinity or NaN, as it only ever touches valid positions.

#pragma once

#include <cstdint>

#include "bias.h"
#include "geometry.h"

namespace nabla::conv {

/** O = conv(X, W) + bias for the whole batch. */
bool rowDirectForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias);

/** GX = the adjoint of the forward applied to GY, for the whole batch. */
bool rowDirectBackwardData(const Geometry& g, const float* GY, const float* W, float* GX);

/** GW (and gb) = Σ over the batch of gy ⊗ x. */
bool rowDirectBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb);

/** gw[co, tap] += Σ over one image-group's positions of gy[co, p]·x at tap of p (x, gy, gw at the group's first channel). */
void rowDirectFilterGroup(const Geometry& g, const float* x, const float* gy, float* gw);

}  // namespace nabla::conv
