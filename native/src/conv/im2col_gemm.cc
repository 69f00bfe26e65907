#include "im2col_gemm.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "../gemm.h"
#include "../scratch.h"
#include "columns.h"
#include "image_loops.h"

namespace nabla::conv {

namespace {

/** Positions per column block: the whole plane when it fits, else a chunk (a multiple of 16). */
int64_t chunkFor(const Geometry& g) {
  int64_t c = kMaxColumnFloats / std::max<int64_t>(g.taps, 1);
  c = std::max<int64_t>(64, c / 16 * 16);
  return std::min(c, g.outPlane);
}

/**
 * For each chunk of an image's output positions, build its column block (im2col, in this
 * thread's scratch) and hand it to gemm(col, p0, len). False when scratch memory ran out or a
 * gemm call failed.
 */
template <class Gemm>
bool im2colChunks(const Geometry& g, const float* x, int64_t chunk, Gemm&& gemm) {
  float* col = threadScratch(kColumns).get<float>(g.taps * chunk);
  if (!col) return false;
  bool ok = true;
  for (int64_t p0 = 0; p0 < g.outPlane; p0 += chunk) {
    const int64_t len = std::min(chunk, g.outPlane - p0);
    im2col(g, x, p0, len, col);
    if (!gemm(col, p0, len)) ok = false;
  }
  return ok;
}

/** gx (one image-group, zeroed by the caller) += col2im(wᵀ·gy), chunk by chunk. */
bool backwardDataGroup(const Geometry& g, const float* gy, const float* w, float* gx, int64_t chunk, bool nested) {
  float* col = threadScratch(kColumns).get<float>(g.taps * chunk);
  if (!col) return false;
  bool ok = true;
  for (int64_t p0 = 0; p0 < g.outPlane; p0 += chunk) {
    const int64_t len = std::min(chunk, g.outPlane - p0);
    // A: the group's weights read transposed ([taps × coutG]).
    if (!sgemm(g.taps, len, g.coutG, 1.0f, {w, 1, g.taps}, {gy + p0, g.outPlane, 1}, 0.0f, {col, len, 1}, nested)) ok = false;
    col2im(g, col, p0, len, gx);
  }
  return ok;
}

}  // namespace

bool im2colGemmForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  std::atomic<bool> ok{true};
  const int64_t chunk = chunkFor(g);
  forEachImage(g, [&](int64_t n, bool nested) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* w = W + grp * g.coutG * g.taps;
      float* o = O + (n * g.cout + grp * g.coutG) * g.outPlane;
      if (!im2colChunks(g, X + (n * g.cin + grp * g.cinG) * g.inPlane, chunk, [&](const float* col, int64_t p0, int64_t len) {
            return sgemm(g.coutG, len, g.taps, 1.0f, {w, g.taps, 1}, {col, len, 1}, 0.0f, {o + p0, g.outPlane, 1}, nested);
          })) {
        ok = false;
      }
      addBias(o, g.coutG, g.outPlane, bias.from(grp * g.coutG));  // while the image's output is in cache
    }
  });
  return ok;
}

bool im2colGemmBackwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  std::atomic<bool> ok{true};
  const int64_t chunk = chunkFor(g);
  forEachImage(g, [&](int64_t n, bool nested) {
    float* gxImage = GX + n * g.cin * g.inPlane;
    std::memset(gxImage, 0, g.cin * g.inPlane * sizeof(float));
    for (int64_t grp = 0; grp < g.groups; grp++) {
      if (!backwardDataGroup(g, GY + (n * g.cout + grp * g.coutG) * g.outPlane, W + grp * g.coutG * g.taps, gxImage + grp * g.cinG * g.inPlane,
                             chunk, nested))
        ok = false;
    }
  });
  return ok;
}

bool im2colGemmFilterGroup(const Geometry& g, const float* x, const float* gy, float* gw, bool nested) {
  return im2colChunks(g, x, chunkFor(g), [&](const float* col, int64_t p0, int64_t len) {
    return sgemm(g.coutG, g.taps, len, 1.0f, {gy + p0, g.outPlane, 1}, {col, 1, len}, 1.0f, {gw, g.taps, 1}, nested);
  });
}

bool im2colGemmBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb) {
  return sumFilterGradientOverImages(g, GY, GW, gb, [&](int64_t n, float* acc, bool nested) {
    bool ok = true;
    for (int64_t grp = 0; grp < g.groups; grp++) {
      if (!im2colGemmFilterGroup(g, X + (n * g.cin + grp * g.cinG) * g.inPlane, GY + (n * g.cout + grp * g.coutG) * g.outPlane,
                                 acc + grp * g.coutG * g.taps, nested))
        ok = false;
    }
    return ok;
  });
}

bool pointwiseGemmForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  std::atomic<bool> ok{true};
  forEachImage(g, [&](int64_t n, bool nested) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* x = X + (n * g.cin + grp * g.cinG) * g.inPlane;
      float* o = O + (n * g.cout + grp * g.coutG) * g.outPlane;
      if (!sgemm(g.coutG, g.outPlane, g.taps, 1.0f, {W + grp * g.coutG * g.taps, g.taps, 1}, {x, g.inPlane, 1}, 0.0f, {o, g.outPlane, 1}, nested))
        ok = false;
      addBias(o, g.coutG, g.outPlane, bias.from(grp * g.coutG));
    }
  });
  return ok;
}

bool pointwiseGemmBackwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  std::atomic<bool> ok{true};
  forEachImage(g, [&](int64_t n, bool nested) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* gy = GY + (n * g.cout + grp * g.coutG) * g.outPlane;
      float* gx = GX + (n * g.cin + grp * g.cinG) * g.inPlane;
      // gx = wᵀ·gy, every element written (beta 0): no zeroing first.
      if (!sgemm(g.taps, g.outPlane, g.coutG, 1.0f, {W + grp * g.coutG * g.taps, 1, g.taps}, {gy, g.outPlane, 1}, 0.0f, {gx, g.inPlane, 1}, nested))
        ok = false;
    }
  });
  return ok;
}

bool pointwiseGemmBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb) {
  return sumFilterGradientOverImages(g, GY, GW, gb, [&](int64_t n, float* acc, bool nested) {
    bool ok = true;
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* x = X + (n * g.cin + grp * g.cinG) * g.inPlane;
      const float* gy = GY + (n * g.cout + grp * g.coutG) * g.outPlane;
      // gw[co, ci] += Σ_p gy[co, p]·x[ci, p]: B is x read transposed.
      if (!sgemm(g.coutG, g.taps, g.outPlane, 1.0f, {gy, g.outPlane, 1}, {x, 1, g.inPlane}, 1.0f, {acc + grp * g.coutG * g.taps, g.taps, 1}, nested))
        ok = false;
    }
    return ok;
  });
}

}  // namespace nabla::conv
