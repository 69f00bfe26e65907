#include "padded_layout.h"

#include <algorithm>
#include <cstring>

#include "../scratch.h"

namespace nabla::conv {

bool preparePadded(const Geometry& g, const float* w, Padded& pd) {
  for (int i = 0; i < 3; i++) pd.dims[i] = g.out[i] + g.d[i] * (g.k[i] - 1);
  // Rows share their zeros: with a row stride of W + max(left, right padding), the reads past a
  // row's right end land in the next row's leading zeros, so a row needs no right padding of its
  // own, and (with output width ≤ stride) fewer wasted positions are computed: none at all for
  // backward-data of a valid convolution (padding k − 1 on both sides; before, 2 of every 15
  // positions of the typical CNN's 8→16 layer). Conceptual column c of a row is stored at
  // c + tapShift.
  const int64_t span = g.d[2] * (g.k[2] - 1), left = g.pad[2], right = g.out[2] + span - g.in[2] - left;
  const int64_t zeros = std::max(left, right);
  if (std::min(left, right) <= span && right >= 0) {
    pd.dims[2] = g.in[2] + zeros;
    pd.dataColumn = zeros;
    pd.tapShift = zeros - left;
  } else {
    pd.dataColumn = left;
    pd.tapShift = 0;
  }
  pd.volume = pd.dims[0] * pd.dims[1] * pd.dims[2];
  const int64_t Hp = pd.dims[1], Wp = pd.dims[2];
  pd.L = ((g.out[0] - 1) * Hp + (g.out[1] - 1)) * Wp + g.out[2];
  pd.Lr = (pd.L + 15) / 16 * 16;
  // Channel blocks of at most six, as even as possible (8 → 4 + 4, 16 → 6 + 5 + 5).
  pd.blocks = (g.coutG + 5) / 6;
  const int64_t rows = g.out[0] * g.out[1];
  const int64_t wFloats = w ? g.groups * g.coutG * g.taps : 0;
  char* mem = threadScratch(kStaging).get<char>((g.taps + rows + pd.blocks + 1) * 8 + wFloats * 4);
  if (!mem) return false;
  int64_t* off = reinterpret_cast<int64_t*>(mem);
  int64_t* rowBase = off + g.taps;
  int64_t* blockStart = rowBase + rows;
  float* wpk = reinterpret_cast<float*>(blockStart + pd.blocks + 1);
  for (int64_t b = 0; b <= pd.blocks; b++) blockStart[b] = pd.blocks ? b * g.coutG / pd.blocks : 0;
  int64_t maxOff = 0;
  for (int64_t t = 0; t < g.taps; t++) {
    const Tap tp = tapOf(g, t);
    off[t] = tp.ci * pd.volume + (tp.kz * g.d[0] * Hp + tp.ky * g.d[1]) * Wp + tp.kx * g.d[2] + pd.tapShift;
    maxOff = std::max(maxOff, off[t]);
  }
  for (int64_t r = 0; r < rows; r++) rowBase[r] = ((r / g.out[1]) * Hp + r % g.out[1]) * Wp;
  if (w) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      for (int64_t b = 0; b < pd.blocks; b++) {
        const int64_t c0 = blockStart[b], nc = blockStart[b + 1] - c0;
        float* dst = wpk + (grp * g.coutG + c0) * g.taps;
        for (int64_t t = 0; t < g.taps; t++)
          for (int64_t c = 0; c < nc; c++) dst[t * nc + c] = w[(grp * g.coutG + c0 + c) * g.taps + t];
      }
    }
  }
  pd.off = off;
  pd.rowBase = rowBase;
  pd.blockStart = blockStart;
  pd.wpk = wpk;
  pd.size = std::max(g.cinG * pd.volume, pd.Lr + maxOff) + 16;
  return true;
}

bool loadPadded(const Geometry& g, const Padded& pd, const float* x, float* xp) {
  std::memset(xp, 0, pd.size * sizeof(float));
  const int64_t Hp = pd.dims[1], Wp = pd.dims[2], W = g.in[2];
  float probe = 0.0f;
  for (int64_t ci = 0; ci < g.cinG; ci++)
    for (int64_t z = 0; z < g.in[0]; z++)
      for (int64_t y = 0; y < g.in[1]; y++) {
        float* d = xp + ci * pd.volume + ((z + g.pad[0]) * Hp + y + g.pad[1]) * Wp + pd.dataColumn;
        const float* s = x + ci * g.inPlane + (z * g.in[1] + y) * W;
        for (int64_t i = 0; i < W; i++) {
          d[i] = s[i];
          probe += s[i] * 0.0f;
        }
      }
  return probe == 0.0f;
}

}  // namespace nabla::conv
