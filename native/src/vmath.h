// Float32 exp, sigmoid and tanh of contiguous runs, eight lanes at a time with AVX2/FMA
// (vmath_avx2.cc), for the unary kernel. The scalar path computes them in double through libm
// and rounds once (as the cpu backend does); these use float polynomials and stay within a few
// float32 ulps of that (the tests allow 1e-6 relative). Eight-lane blocks holding a value the
// polynomials do not cover (NaN, and exp/sigmoid arguments whose results leave the normal float
// range) are computed by the scalar function instead, so those results equal cpu's exactly.
#pragma once

#include <cstdint>

#include "ops.h"

namespace nabla {

using ScalarFn = float (*)(float);
using VectorRow = void (*)(const float* x, float* y, int64_t n, ScalarFn scalar);

/** The AVX2 row for exp, sigmoid or tanh; null for other ops, without AVX2/FMA, or when portable kernels are forced. */
VectorRow vectorRow(UnaryOp op);

}  // namespace nabla
