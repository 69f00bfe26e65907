// The common 2×2, stride-2, unpadded max pool of one plane, forward and backward (pool2x2.cc).
#pragma once

#include <cstdint>

namespace nabla {

/**
 * One plane of a 2×2, stride-2, unpadded max pool: input rows ld floats apart (a conv's padded
 * result, or the plane itself with ld = W), indices numbered as in a plane W wide. bias, when
 * given, is added to every input first (the fused conv's channel bias: the same float adds as the
 * conv's own). With afterRelu it pools relu(x): out = relu(max), index -1 where the max is not
 * positive. Ties and NaN as maxWindow: the first maximum wins, a NaN wins, a later NaN too.
 */
struct Pool2x2Plane {
  const float* x = nullptr;
  int64_t ld = 0, W = 0, OH = 0, OW = 0;
  bool afterRelu = false;
  const float* bias = nullptr;
  float* out = nullptr;
  int32_t* idx = nullptr;
};
void maxPool2x2Plane(const Pool2x2Plane& p);

/**
 * Max pool backward of one plane in one write pass, when every index lies in its own 2×2 block
 * (window (oh, ow) → input rows 2oh..2oh+1, columns 2ow..2ow+1 of a W-wide, H-tall plane) or is -1:
 * the blocks are then disjoint, so each input gets its block's gradient or 0. Indices must already
 * be known to lie inside the plane. Returns false, having written part of gx, when an index lies
 * elsewhere: the caller then redoes the plane by scattering.
 */
bool maxUnpool2x2(const float* gy, const int32_t* idx, int64_t H, int64_t W, int64_t OH, int64_t OW, float* gx);

}  // namespace nabla
