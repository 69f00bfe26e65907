#include "depthwise.h"

#include <cstring>

#include "../threadpool.h"

namespace nabla::conv {

namespace {

/**
 * For every output row of one plane and every tap whose input row exists: row(oRow, iRow, w, lo,
 * hi, shift), where output column j ∈ [lo, hi) reads input column j·s + shift of iRow, and w is
 * the tap's index in the channel's kernel.
 */
template <class Row>
void forEachRowTap(const Geometry& g, Row&& row) {
  for (int64_t oz = 0; oz < g.out[0]; oz++) {
    for (int64_t oy = 0; oy < g.out[1]; oy++) {
      const int64_t oRow = oz * g.out[1] + oy;
      for (int64_t kz = 0; kz < g.k[0]; kz++) {
        const int64_t iz = oz * g.s[0] - g.pad[0] + kz * g.d[0];
        if (iz < 0 || iz >= g.in[0]) continue;
        for (int64_t ky = 0; ky < g.k[1]; ky++) {
          const int64_t iy = oy * g.s[1] - g.pad[1] + ky * g.d[1];
          if (iy < 0 || iy >= g.in[1]) continue;
          for (int64_t kx = 0; kx < g.k[2]; kx++) {
            int64_t lo, hi;
            validRange(g, 0, g.out[2], kx, lo, hi);
            if (lo < hi) row(oRow, iz * g.in[1] + iy, (kz * g.k[1] + ky) * g.k[2] + kx, lo, hi, kx * g.d[2] - g.pad[2]);
          }
        }
      }
    }
  }
}

/** Planes per task: enough work per hand-off, every thread busy. */
constexpr int64_t kPlaneGrain = 1;

/** Σ_j a[j]·b[j·stride], in eight partial sums so the unit-stride loop vectorises. */
inline float dot(const float* __restrict a, const float* __restrict b, int64_t n, int64_t stride) {
  float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  if (stride == 1) {
    for (; j + 8 <= n; j += 8)
      for (int l = 0; l < 8; l++) part[l] += a[j + l] * b[j + l];
  }
  float s = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  for (; j < n; j++) s += a[j] * b[j * stride];
  return s;
}

}  // namespace

bool depthwiseForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  const int64_t C = g.cout, Wo = g.out[2], Wi = g.in[2], sx = g.s[2], kvol = g.kernelVolume();
  parallelRanges(g.batch * C, kPlaneGrain, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      const int64_t c = p % C;
      const float* x = X + p * g.inPlane;
      const float* w = W + c * kvol;
      float* o = O + p * g.outPlane;
      const float b = bias.p ? bias[c] : 0.0f;
      for (int64_t i = 0; i < g.outPlane; i++) o[i] = b;
      forEachRowTap(g, [&](int64_t oRow, int64_t iRow, int64_t t, int64_t lo, int64_t hi, int64_t shift) {
        float* __restrict orow = o + oRow * Wo;
        const float* __restrict xrow = x + iRow * Wi;
        const float wv = w[t];
        if (sx == 1) {
          for (int64_t j = lo; j < hi; j++) orow[j] += wv * xrow[j + shift];
        } else {
          for (int64_t j = lo; j < hi; j++) orow[j] += wv * xrow[j * sx + shift];
        }
      });
    }
  });
  return true;
}

bool depthwiseBackwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  const int64_t C = g.cout, Wo = g.out[2], Wi = g.in[2], sx = g.s[2], kvol = g.kernelVolume();
  parallelRanges(g.batch * C, kPlaneGrain, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      const float* gy = GY + p * g.outPlane;
      const float* w = W + (p % C) * kvol;
      float* gx = GX + p * g.inPlane;
      std::memset(gx, 0, g.inPlane * sizeof(float));
      forEachRowTap(g, [&](int64_t oRow, int64_t iRow, int64_t t, int64_t lo, int64_t hi, int64_t shift) {
        const float* __restrict gyrow = gy + oRow * Wo;
        float* __restrict gxrow = gx + iRow * Wi;
        const float wv = w[t];
        if (sx == 1) {
          for (int64_t j = lo; j < hi; j++) gxrow[j + shift] += wv * gyrow[j];
        } else {
          for (int64_t j = lo; j < hi; j++) gxrow[j * sx + shift] += wv * gyrow[j];
        }
      });
    }
  });
  return true;
}

bool depthwiseBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb) {
  const int64_t C = g.cout, Wo = g.out[2], Wi = g.in[2], sx = g.s[2], kvol = g.kernelVolume();
  parallelRanges(C, kPlaneGrain, [&](int64_t c0, int64_t c1, int) {
    for (int64_t c = c0; c < c1; c++) {
      float* gw = GW + c * kvol;
      for (int64_t t = 0; t < kvol; t++) gw[t] = 0.0f;
      double biasSum = 0;
      for (int64_t n = 0; n < g.batch; n++) {
        const float* x = X + (n * C + c) * g.inPlane;
        const float* gy = GY + (n * C + c) * g.outPlane;
        if (gb.p) biasSum += planeSum(gy, g.outPlane);
        forEachRowTap(g, [&](int64_t oRow, int64_t iRow, int64_t t, int64_t lo, int64_t hi, int64_t shift) {
          gw[t] += dot(gy + oRow * Wo + lo, x + iRow * Wi + lo * sx + shift, hi - lo, sx);
        });
      }
      if (gb.p) gb[c] = static_cast<float>(biasSum);
    }
  });
  return true;
}

}  // namespace nabla::conv
