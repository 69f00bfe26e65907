#include "row_direct.h"

#include <cstring>

#include "image_loops.h"

namespace nabla::conv {

namespace {

/**
 * The walk all three passes share: for each output row (oz, oy) of one image-group and each tap
 * whose input row exists, row(rowOff, tap, inOff, lo, hi) with rowOff the output row's offset in a
 * plane, inOff the offset (from the group's first channel) of the input element that output
 * column 0 would read at this tap (it may lie before the row: only columns lo..hi are in range),
 * and lo..hi the output columns the tap reaches. startRow(rowOff) runs before a row's taps.
 */
template <class StartRow, class TapRow>
void forEachTapRow(const Geometry& g, StartRow&& startRow, TapRow&& row) {
  const int64_t Wo = g.out[2];
  const int64_t kPerChannel = g.kernelVolume();
  for (int64_t oz = 0; oz < g.out[0]; oz++) {
    for (int64_t oy = 0; oy < g.out[1]; oy++) {
      const int64_t rowOff = (oz * g.out[1] + oy) * Wo;
      startRow(rowOff);
      for (int64_t ci = 0; ci < g.cinG; ci++) {
        for (int64_t kz = 0; kz < g.k[0]; kz++) {
          const int64_t iz = oz * g.s[0] - g.pad[0] + kz * g.d[0];
          if (iz < 0 || iz >= g.in[0]) continue;
          for (int64_t ky = 0; ky < g.k[1]; ky++) {
            const int64_t iy = oy * g.s[1] - g.pad[1] + ky * g.d[1];
            if (iy < 0 || iy >= g.in[1]) continue;
            const int64_t inRow = ci * g.inPlane + (iz * g.in[1] + iy) * g.in[2];
            for (int64_t kx = 0; kx < g.k[2]; kx++) {
              int64_t lo, hi;
              validRange(g, 0, Wo, kx, lo, hi);
              const int64_t tap = ci * kPerChannel + (kz * g.k[1] + ky) * g.k[2] + kx;
              row(rowOff, tap, inRow - g.pad[2] + kx * g.d[2], lo, hi);
            }
          }
        }
      }
    }
  }
}

/** out (one image-group; x, out at its first channel, w at its first filter) = conv(x, w). */
void forwardGroup(const Geometry& g, const float* x, const float* w, float* out) {
  const int64_t Wo = g.out[2], sx = g.s[2];
  forEachTapRow(
      g, [&](int64_t rowOff) {
        for (int64_t co = 0; co < g.coutG; co++) std::memset(out + co * g.outPlane + rowOff, 0, Wo * sizeof(float));
      },
      [&](int64_t rowOff, int64_t tap, int64_t inOff, int64_t lo, int64_t hi) {
        const float* src = x + inOff;
        for (int64_t co = 0; co < g.coutG; co++) {
          const float wv = w[co * g.taps + tap];
          float* o = out + co * g.outPlane + rowOff;
          if (sx == 1) for (int64_t j = lo; j < hi; j++) o[j] += wv * src[j];
          else for (int64_t j = lo; j < hi; j++) o[j] += wv * src[j * sx];
        }
      });
}

/** gx (zeroed by the caller) += the adjoint of forwardGroup for one image-group. */
void backwardDataGroup(const Geometry& g, const float* gy, const float* w, float* gx) {
  const int64_t sx = g.s[2];
  forEachTapRow(g, [](int64_t) {}, [&](int64_t rowOff, int64_t tap, int64_t inOff, int64_t lo, int64_t hi) {
    float* dst = gx + inOff;
    for (int64_t co = 0; co < g.coutG; co++) {
      const float wv = w[co * g.taps + tap];
      const float* gyr = gy + co * g.outPlane + rowOff;
      if (sx == 1) for (int64_t j = lo; j < hi; j++) dst[j] += wv * gyr[j];
      else for (int64_t j = lo; j < hi; j++) dst[j * sx] += wv * gyr[j];
    }
  });
}

}  // namespace

void rowDirectFilterGroup(const Geometry& g, const float* x, const float* gy, float* gw) {
  const int64_t sx = g.s[2];
  forEachTapRow(g, [](int64_t) {}, [&](int64_t rowOff, int64_t tap, int64_t inOff, int64_t lo, int64_t hi) {
    const float* src = x + inOff;
    for (int64_t co = 0; co < g.coutG; co++) {
      const float* gyr = gy + co * g.outPlane + rowOff;
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t j = lo;
      if (sx == 1) {
        for (; j + 4 <= hi; j += 4) {
          s0 += gyr[j] * src[j]; s1 += gyr[j + 1] * src[j + 1]; s2 += gyr[j + 2] * src[j + 2]; s3 += gyr[j + 3] * src[j + 3];
        }
      }
      for (; j < hi; j++) s0 += gyr[j] * src[j * sx];
      gw[co * g.taps + tap] += (s0 + s1) + (s2 + s3);
    }
  });
}

bool rowDirectForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  forEachImage(g, [&](int64_t n, bool) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      float* o = O + (n * g.cout + grp * g.coutG) * g.outPlane;
      forwardGroup(g, X + (n * g.cin + grp * g.cinG) * g.inPlane, W + grp * g.coutG * g.taps, o);
      addBias(o, g.coutG, g.outPlane, bias.from(grp * g.coutG));  // while the image's output is in cache
    }
  });
  return true;
}

bool rowDirectBackwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  forEachImage(g, [&](int64_t n, bool) {
    float* gxImage = GX + n * g.cin * g.inPlane;
    std::memset(gxImage, 0, g.cin * g.inPlane * sizeof(float));
    for (int64_t grp = 0; grp < g.groups; grp++)
      backwardDataGroup(g, GY + (n * g.cout + grp * g.coutG) * g.outPlane, W + grp * g.coutG * g.taps, gxImage + grp * g.cinG * g.inPlane);
  });
  return true;
}

bool rowDirectBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb) {
  return sumFilterGradientOverImages(g, GY, GW, gb, [&](int64_t n, float* acc, bool) {
    for (int64_t grp = 0; grp < g.groups; grp++)
      rowDirectFilterGroup(g, X + (n * g.cin + grp * g.cinG) * g.inPlane, GY + (n * g.cout + grp * g.coutG) * g.outPlane,
                           acc + grp * g.coutG * g.taps);
    return true;
  });
}

}  // namespace nabla::conv
