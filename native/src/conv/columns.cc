#include "columns.h"

#include <algorithm>
#include <cstring>

namespace nabla::conv {

namespace {

/**
 * Call seg(j0, run, rowIn, ox0) for the output-row segments of positions [p0, p0+len): j0 is the
 * segment's index in the block, run its length, rowIn the offset of the input row (z, y) it reads
 * for tap (kz, ky), or -1 when that row is in the padding, and ox0 its first x.
 */
template <class Seg>
inline void forEachSegment(const Geometry& g, int64_t p0, int64_t len, const Tap& tp, Seg&& seg) {
  const int64_t Ho = g.out[1], Wo = g.out[2];
  int64_t ox = p0 % Wo, rest = p0 / Wo;
  int64_t oy = rest % Ho, oz = rest / Ho;
  for (int64_t j = 0; j < len;) {
    const int64_t run = std::min(Wo - ox, len - j);
    const int64_t iz = oz * g.s[0] - g.pad[0] + tp.kz * g.d[0];
    const int64_t iy = oy * g.s[1] - g.pad[1] + tp.ky * g.d[1];
    const bool inside = iz >= 0 && iz < g.in[0] && iy >= 0 && iy < g.in[1];
    seg(j, run, inside ? (iz * g.in[1] + iy) * g.in[2] : int64_t(-1), ox);
    j += run;
    ox += run;
    if (ox == Wo) {
      ox = 0;
      if (++oy == Ho) {
        oy = 0;
        ++oz;
      }
    }
  }
}

}  // namespace

void im2col(const Geometry& g, const float* x, int64_t p0, int64_t len, float* col, int64_t ld, const TapList& list, int64_t t0, int64_t t1) {
  const int64_t sx = g.s[2];
  if (ld < 0) ld = len;
  const int64_t taps = t1 >= 0 ? t1 : list.count ? g.cinG * list.count : g.taps;
  for (int64_t t = t0; t < taps; t++) {
    const Tap tp = tapOf(g, t, list);
    const float* xc = x + tp.ci * g.inPlane;
    float* dst = col + t * ld;
    forEachSegment(g, p0, len, tp, [&](int64_t j, int64_t run, int64_t row, int64_t ox0) {
      float* d = dst + j;
      if (row < 0) {
        std::memset(d, 0, run * sizeof(float));
        return;
      }
      int64_t lo, hi;
      validRange(g, ox0, run, tp.kx, lo, hi);
      const float* src = xc + row + ox0 * sx - g.pad[2] + tp.kx * g.d[2];
      for (int64_t i = 0; i < lo; i++) d[i] = 0.0f;
      if (sx == 1) std::memcpy(d + lo, src + lo, (hi - lo) * sizeof(float));
      else for (int64_t i = lo; i < hi; i++) d[i] = src[i * sx];
      for (int64_t i = hi; i < run; i++) d[i] = 0.0f;
    });
  }
}

void col2im(const Geometry& g, const float* col, int64_t p0, int64_t len, float* gx, int64_t ld, const TapList& list, int64_t t0, int64_t t1) {
  const int64_t sx = g.s[2];
  if (ld < 0) ld = len;
  const int64_t taps = t1 >= 0 ? t1 : list.count ? g.cinG * list.count : g.taps;
  for (int64_t t = t0; t < taps; t++) {
    const Tap tp = tapOf(g, t, list);
    float* xc = gx + tp.ci * g.inPlane;
    const float* srcRow = col + t * ld;
    forEachSegment(g, p0, len, tp, [&](int64_t j, int64_t run, int64_t row, int64_t ox0) {
      if (row < 0) return;
      int64_t lo, hi;
      validRange(g, ox0, run, tp.kx, lo, hi);
      float* dst = xc + row + ox0 * sx - g.pad[2] + tp.kx * g.d[2];
      const float* s = srcRow + j;
      if (sx == 1) for (int64_t i = lo; i < hi; i++) dst[i] += s[i];
      else for (int64_t i = lo; i < hi; i++) dst[i * sx] += s[i];
    });
  }
}

}  // namespace nabla::conv
