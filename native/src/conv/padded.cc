#include "padded.h"

#include <atomic>
#include <cstring>

#include "../gemm.h"
#include "../pool2x2.h"
#include "../scratch.h"
#include "direct_kernels.h"
#include "image_loops.h"
#include "im2col_gemm.h"
#include "padded_layout.h"
#include "row_direct.h"

namespace nabla::conv {

namespace {

// ---- forward --------------------------------------------------------------------------------------

/**
 * Keep the valid positions of a padded-numbered result (row r of channel co starts at rowBase[r]),
 * adding the channel's bias on the way when there is one.
 */
void compact(const Geometry& g, const Padded& pd, const float* yp, int64_t ld, float* o, const Bias& bias) {
  const int64_t rows = g.out[0] * g.out[1], Wo = g.out[2];
  for (int64_t co = 0; co < g.coutG; co++) {
    float* oc = o + co * g.outPlane;
    const float* yc = yp + co * ld;
    if (!bias.p) {
      for (int64_t r = 0; r < rows; r++) copyRow(oc + r * Wo, yc + pd.rowBase[r], Wo);
      continue;
    }
    const float b = bias[co];
    for (int64_t r = 0; r < rows; r++) {
      float* __restrict d = oc + r * Wo;
      const float* __restrict src = yc + pd.rowBase[r];
      for (int64_t i = 0; i < Wo; i++) d[i] = src[i] + b;
    }
  }
}

/**
 * Pool group grp of image n straight from its padded-numbered result (2-d: row r starts at r·Wp),
 * adding the bias to each tap as compact would have (the same float adds, so the pooled values
 * and indices equal those of the separate kernels bit for bit).
 */
void poolGroup(const Geometry& g, const Padded& pd, const float* yp, int64_t ld, int64_t n, int64_t grp, const Bias& bias, const PoolTarget& pool) {
  Pool2x2Plane plane;
  plane.ld = pd.dims[2];
  plane.W = g.out[2];
  plane.OH = pool.OH;
  plane.OW = pool.OW;
  plane.afterRelu = true;
  for (int64_t co = 0; co < g.coutG; co++) {
    const int64_t at = (n * g.cout + grp * g.coutG + co) * pool.OH * pool.OW;
    plane.x = yp + co * ld;
    plane.bias = bias.p ? &bias[grp * g.coutG + co] : nullptr;
    plane.out = pool.out + at;
    plane.idx = pool.idx + at;
    maxPool2x2Plane(plane);
  }
}

// ---- backward-filter ------------------------------------------------------------------------------

/**
 * gyT = one image-group's gy in the padded numbering, transposed to [position][channel] with CP
 * channels (coutG rounded up to 8) and zeros past each row and in the extra channels: the layout
 * of the transposed direct kernel, which reads eight channels per load.
 */
void loadGyTransposed(const Geometry& g, const Padded& pd, const float* gy, int64_t CP, float* gyT) {
  const int64_t rows = g.out[0] * g.out[1], Wo = g.out[2];
  int64_t done = 0;  // positions [0, done) written
  for (int64_t r = 0; r < rows; r++) {
    std::memset(gyT + done * CP, 0, (pd.rowBase[r] - done) * CP * sizeof(float));
    const float* src = gy + r * Wo;
    float* dst = gyT + pd.rowBase[r] * CP;
    for (int64_t i = 0; i < Wo; i++, dst += CP) {
      int64_t co = 0;
      for (; co < g.coutG; co++) dst[co] = src[co * g.outPlane + i];
      for (; co < CP; co++) dst[co] = 0.0f;
    }
    done = pd.rowBase[r] + Wo;
  }
}

/** gyp = one image-group's gy in the padded numbering, [channel][position], rows pd.Lr apart, zeros past each row. */
void loadGyRows(const Geometry& g, const Padded& pd, const float* gy, float* gyp) {
  const int64_t rows = g.out[0] * g.out[1], Wo = g.out[2];
  std::memset(gyp, 0, g.coutG * pd.Lr * sizeof(float));
  for (int64_t co = 0; co < g.coutG; co++)
    for (int64_t r = 0; r < rows; r++) copyRow(gyp + co * pd.Lr + pd.rowBase[r], gy + co * g.outPlane + r * Wo, Wo);
}

/**
 * gw += one image-group's filter gradient, gw[co, t] += Σ_q gy[co, q]·xp[q + off[t]] over the
 * padded numbering. The positions past each row carry a zero gy, which is only exact for a finite
 * image (0·∞ is NaN): an image holding an infinity or NaN takes the row-direct or im2col kernel
 * instead, which sum over the valid positions only.
 */
bool filterGroup(const Geometry& g, const Padded& pd, const DirectKernels& dk, ConvAlgorithm product, const float* x, const float* gy, float* gw,
                 bool nested) {
  const bool transposed = product == ConvAlgorithm::kPaddedDirectGyTransposed;
  const int64_t CP = (g.coutG + 7) / 8 * 8;
  float* xp = threadScratch(kConvPadded).get<float>(pd.size);
  float* gyp = threadScratch(kConvResult).get<float>(transposed ? CP * pd.L : g.coutG * pd.Lr);
  if (!xp || !gyp) return false;
  if (!loadPadded(g, pd, x, xp)) {
    if (product == ConvAlgorithm::kPaddedGemm) return im2colGemmFilterGroup(g, x, gy, gw, nested);
    rowDirectFilterGroup(g, x, gy, gw);
    return true;
  }
  if (transposed) {
    loadGyTransposed(g, pd, gy, CP, gyp);
    dk.filterTransposed(g.coutG, g.taps, pd.off, gyp, CP, pd.L, xp, gw, g.taps);
    return true;
  }
  loadGyRows(g, pd, gy, gyp);
  if (product == ConvAlgorithm::kPaddedDirect) {
    dk.filterRows(g.coutG, g.taps, pd.off, gyp, pd.Lr, xp, gw, g.taps);
    return true;
  }
  ConstMat B{xp, 1, 0};
  B.colOff = pd.off;
  return sgemm(g.coutG, g.taps, pd.L, 1.0f, {gyp, pd.Lr, 1}, B, 1.0f, {gw, g.taps, 1}, nested);
}

}  // namespace

void flipFilters(const Geometry& g, const Geometry& t, const float* W, float* w2) {
  const int64_t kvol = g.kernelVolume();
  for (int64_t grp = 0; grp < g.groups; grp++) {
    const float* w = W + grp * g.coutG * g.taps;
    float* d = w2 + grp * t.coutG * t.taps;
    for (int64_t ci = 0; ci < g.cinG; ci++)
      for (int64_t co = 0; co < g.coutG; co++)
        for (int64_t k = 0; k < kvol; k++) d[ci * t.taps + co * kvol + k] = w[co * g.taps + ci * kvol + (kvol - 1 - k)];
  }
}

bool paddedForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias, ConvAlgorithm product, const PoolTarget* pool) {
  const bool direct = product == ConvAlgorithm::kPaddedDirect;
  Padded pd;
  if (!preparePadded(g, direct ? W : nullptr, pd)) return false;
  const DirectKernels dk = directKernels();
  std::atomic<bool> ok{true};
  forEachImage(g, [&](int64_t n, bool nested) {
    // The direct kernel computes whole 16-position tiles, the GEMM exactly L positions.
    const int64_t ld = direct ? pd.Lr : pd.L;
    float* xp = threadScratch(kConvPadded).get<float>(pd.size);
    float* yp = threadScratch(kConvResult).get<float>(g.coutG * ld);
    if (!xp || !yp) {
      ok = false;
      return;
    }
    for (int64_t grp = 0; grp < g.groups; grp++) {
      loadPadded(g, pd, X + (n * g.cin + grp * g.cinG) * g.inPlane, xp);
      if (direct) {
        dk.forward(pd.blocks, pd.blockStart, g.taps, pd.off, pd.wpk + grp * g.coutG * g.taps, xp, pd.Lr, yp);
      } else {
        ConstMat B{xp, 0, 1};
        B.rowOff = pd.off;
        if (!sgemm(g.coutG, pd.L, g.taps, 1.0f, {W + grp * g.coutG * g.taps, g.taps, 1}, B, 0.0f, {yp, pd.L, 1}, nested)) ok = false;
      }
      if (pool) poolGroup(g, pd, yp, ld, n, grp, bias, *pool);
      else compact(g, pd, yp, ld, O + (n * g.cout + grp * g.coutG) * g.outPlane, bias.from(grp * g.coutG));
    }
  });
  return ok;
}

bool paddedBackwardData(const Geometry& g, const float* GY, const float* W, float* GX, ConvAlgorithm product) {
  Geometry t;
  if (!backwardDataAsForward(g, t)) return false;  // choose() only picks this path when it holds
  float* w2 = threadScratch(kConvAccum).get<float>(g.groups * t.coutG * t.taps);
  if (!w2) return false;
  flipFilters(g, t, W, w2);
  return paddedForward(t, GY, w2, GX, {}, product);
}

bool paddedBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb, ConvAlgorithm product) {
  Padded pd;
  if (!preparePadded(g, nullptr, pd)) return false;
  const DirectKernels dk = directKernels();
  return sumFilterGradientOverImages(g, GY, GW, gb, [&](int64_t n, float* acc, bool nested) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      if (!filterGroup(g, pd, dk, product, X + (n * g.cin + grp * g.cinG) * g.inPlane, GY + (n * g.cout + grp * g.coutG) * g.outPlane,
                       acc + grp * g.coutG * g.taps, nested))
        return false;
    }
    return true;
  });
}

}  // namespace nabla::conv
