// Algorithm: Winograd F(4×4, 3×3) for 2-d, stride-1, undilated 3×3 convolutions with one group.
// Each 4×4 block of outputs (a tile) is computed from its 6×6 input patch d and each filter g as
//   y = Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A
// so the 36 elementwise products replace 144 multiply-adds per tile and channel pair: 4× fewer.
// Batched over channels, the ⊙ becomes 36 independent GEMMs, U[ξ] (Cout × Cin) · V[ξ] (Cin × tiles),
// one per transformed position ξ. The transforms cost ~25 flops per input value; what is left is
// the bigger transformed filters (36 vs 9 floats per channel pair), which is why choose() keeps
// layers with few tiles (deep layers at batch 1) on the direct GEMM.
//
// Accuracy: the transforms multiply by up to 8 and divide by 24, so the result is a few float32
// ulps of the *sum of magnitudes* worse than the direct product (measured on ResNet-18's 3×3
// layers in test/backend/native-conv.test.ts: max |Δ| ≈ 1e-5 of the output's scale). A tile mixes
// all its inputs, so one infinity would turn its neighbours' outputs into NaN: an image or filter
// holding a value that is not finite (seen while copying it) runs im2col + GEMM instead.

#pragma once

#include <cstdint>

#include "bias.h"
#include "geometry.h"

namespace nabla::conv {

/** Whether the Winograd path can run g (2-d, 3×3, stride 1, dilation 1, groups 1). */
bool winogradFits(const Geometry& g);

/** O = conv(X, W) + bias. False when scratch memory ran out. */
bool winogradForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias);

/** GX from GY: the forward convolution of gy with the flipped, channel-swapped filters (stride 1). */
bool winogradBackwardData(const Geometry& g, const float* GY, const float* W, float* GX);

}  // namespace nabla::conv
