// The common 2×2, stride-2, unpadded max pool of one plane, forward and backward, four windows
// at a time with SSE2 (see pool2x2.cc).
#pragma once

#include <cstdint>

namespace nabla {

/**
 * Max pool one plane (W wide in, OH×OW out): values and flat in-plane indices of the winners,
 * ties and NaN as maxWindow. With afterRelu, pools relu(x): out = relu(max), index -1 where the
 * max is not positive. Returns the output columns it covered per row (all of them, or 0 without
 * SSE2 / when OW < 4); the caller does the rest.
 */
int64_t maxPool2x2(const float* x, int64_t W, int64_t OH, int64_t OW, bool afterRelu, float* out, int32_t* idx);

/**
 * Max pool backward of one plane in one write pass, when every index lies in its own 2×2 block
 * (window (oh, ow) → input rows 2oh..2oh+1, columns 2ow..2ow+1 of a W-wide, H-tall plane) or is -1:
 * the blocks are then disjoint, so each input gets its block's gradient or 0. Indices must already
 * be known to lie inside the plane. Returns false, having written part of gx, when an index lies
 * elsewhere: the caller then redoes the plane by scattering.
 */
bool maxUnpool2x2(const float* gy, const int32_t* idx, int64_t H, int64_t W, int64_t OH, int64_t OW, float* gx);

}  // namespace nabla
