// The padded layout of a stride-1 convolution: each image-group is copied once into a zero-padded
// buffer and output positions are numbered in padded coordinates, q = (oz·Hp + oy)·Wp + ox, so tap
// t of position q reads xp[q + off[t]] — one offset per tap, the same for every position. The
// direct kernels and the GEMM's offset tables (implicit im2col) both read the image that way.

#pragma once

#include <cstdint>

#include "geometry.h"

namespace nabla::conv {

/** A stride-1 layer in padded coordinates: padded extents, tap offsets, output row starts. */
struct Padded {
  int64_t dims[3] = {1, 1, 1};  // Dp, Hp and the row stride Wp
  int64_t volume = 0;           // Dp·Hp·Wp
  int64_t dataColumn = 0;       // where each row's input starts within its Wp floats
  int64_t tapShift = 0;         // added to every tap offset (see preparePadded)
  int64_t L = 0, Lr = 0;        // positions up to the last valid one; rounded up to 16
  int64_t size = 0;             // floats of a padded image-group, with read slack
  int64_t blocks = 0;           // channel blocks of the direct forward kernel (≤ 6 channels each)
  const int64_t* blockStart = nullptr;  // [blocks + 1]
  const int64_t* off = nullptr;         // [taps]
  const int64_t* rowBase = nullptr;     // [Do·Ho]
  const float* wpk = nullptr;           // [groups][coutG·taps], per block [tap][channel] (forward only)
};

/**
 * The padded layout of g, with its tables in the caller's scratch (taps + Do·Ho + blocks + 1
 * int64, and, when w is given, every group's filters packed for the direct kernel). Returns false
 * when out of memory. Requires g.pad ≤ d·(k−1) per side (the padded extents come from the output
 * size), which every forward convolution satisfies.
 */
bool preparePadded(const Geometry& g, const float* w, Padded& pd);

/**
 * Copy one image-group's cinG volumes into xp with their padding written out as zeros. Returns
 * whether every value is finite (v·0 is NaN exactly for an infinity or a NaN).
 */
bool loadPadded(const Geometry& g, const Padded& pd, const float* x, float* xp);

/** A short row copy, inlined (rows here are tens of floats: a memcpy call costs more than the copy). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
inline void copyRow(float* __restrict d, const float* __restrict s, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = s[i];
}

}  // namespace nabla::conv
