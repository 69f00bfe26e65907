#include "im2col_gemm.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "../gemm.h"
#include "../scratch.h"
#include "../threadpool.h"
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
bool im2colChunks(const Geometry& g, const float* x, int64_t chunk, bool nested, Gemm&& gemm) {
  float* col = threadScratch(kColumns).get<float>(g.taps * chunk);
  if (!col) return false;
  bool ok = true;
  for (int64_t p0 = 0; p0 < g.outPlane; p0 += chunk) {
    const int64_t len = std::min(chunk, g.outPlane - p0);
    // A batch too small to fill the pool (batch 1: ResNet's stem and strided layers) builds its
    // columns on every thread too, not only its GEMM.
    if (nested) parallelRanges(g.taps, 8, [&](int64_t t0, int64_t t1, int) { im2col(g, x, p0, len, col, -1, {}, t0, t1); });
    else im2col(g, x, p0, len, col);
    if (!gemm(col, p0, len)) ok = false;
  }
  return ok;
}

/** col2im over whole channels per thread when the image's GEMM is parallel (rows of one channel write only it). */
void col2imChannels(const Geometry& g, const float* col, int64_t p0, int64_t len, float* gx, bool nested) {
  if (!nested) return col2im(g, col, p0, len, gx);
  const int64_t kvol = g.kernelVolume();
  parallelRanges(g.cinG, 1, [&](int64_t c0, int64_t c1, int) { col2im(g, col, p0, len, gx, -1, {}, c0 * kvol, c1 * kvol); });
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
    col2imChannels(g, col, p0, len, gx, nested);
  }
  return ok;
}

/**
 * A strided 1×1 layer's rows of one image-group: row(xAt, colAt) for each channel and output
 * row, where output column ox reads x[xAt + ox·s] and is column colAt + ox of the [Cin, positions]
 * block. Channels over the pool when the image's GEMM is (a batch too small to fill it).
 */
template <class Row>
void forEachStridedRow(const Geometry& g, bool nested, Row&& row) {
  const int64_t Ho = g.out[1], zStep = g.s[0] * g.in[1] * g.in[2], yStep = g.s[1] * g.in[2];
  auto channels = [&](int64_t c0, int64_t c1, int) {
    for (int64_t ci = c0; ci < c1; ci++)
      for (int64_t oz = 0; oz < g.out[0]; oz++)
        for (int64_t oy = 0; oy < Ho; oy++) row(ci * g.inPlane + oz * zStep + oy * yStep, ci * g.outPlane + (oz * Ho + oy) * g.out[2]);
  };
  if (nested) parallelRanges(g.cinG, 8, channels);
  else channels(0, g.cinG, 0);
}

/** col[ci, p] = x[ci] at output position p's (oz·s, oy·s, ox·s). */
void stridedGather(const Geometry& g, const float* x, float* col, bool nested) {
  const int64_t Wo = g.out[2], sx = g.s[2];
  forEachStridedRow(g, nested, [&](int64_t xAt, int64_t colAt) {
    for (int64_t ox = 0; ox < Wo; ox++) col[colAt + ox] = x[xAt + ox * sx];
  });
}

/** The adjoint: x at those positions = col (no two outputs read the same input; x's others untouched). */
void stridedScatter(const Geometry& g, const float* col, float* x, bool nested) {
  const int64_t Wo = g.out[2], sx = g.s[2];
  forEachStridedRow(g, nested, [&](int64_t xAt, int64_t colAt) {
    for (int64_t ox = 0; ox < Wo; ox++) x[xAt + ox * sx] = col[colAt + ox];
  });
}

}  // namespace

bool im2colGemmForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  std::atomic<bool> ok{true};
  const int64_t chunk = chunkFor(g);
  forEachImage(g, [&](int64_t n, bool nested) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* w = W + grp * g.coutG * g.taps;
      float* o = O + (n * g.cout + grp * g.coutG) * g.outPlane;
      if (!im2colChunks(g, X + (n * g.cin + grp * g.cinG) * g.inPlane, chunk, nested, [&](const float* col, int64_t p0, int64_t len) {
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
  return im2colChunks(g, x, chunkFor(g), nested, [&](const float* col, int64_t p0, int64_t len) {
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

// The three products of a 1×1 convolution on one group of one image. The input side is cinG
// channel rows of outPlane positions, `ld` apart: the image itself at stride 1 (ld = inPlane), or
// the strided gather's copy (ld = outPlane). For a 1×1 kernel taps == cinG.
static bool pointwiseProduct(const Geometry& g, const float* w, const float* x, int64_t ld, float* o, bool nested) {
  return sgemm(g.coutG, g.outPlane, g.cinG, 1.0f, {w, g.taps, 1}, {x, ld, 1}, 0.0f, {o, g.outPlane, 1}, nested);
}

// gx = wᵀ·gy, every element written (beta 0): no zeroing first.
static bool pointwiseDataProduct(const Geometry& g, const float* w, const float* gy, float* gx, int64_t ld, bool nested) {
  return sgemm(g.cinG, g.outPlane, g.coutG, 1.0f, {w, 1, g.taps}, {gy, g.outPlane, 1}, 0.0f, {gx, ld, 1}, nested);
}

// gw[co, ci] += Σ_p gy[co, p]·x[ci, p]: B is x read transposed.
static bool pointwiseFilterProduct(const Geometry& g, const float* gy, const float* x, int64_t ld, float* gw, bool nested) {
  return sgemm(g.coutG, g.cinG, g.outPlane, 1.0f, {gy, g.outPlane, 1}, {x, 1, ld}, 1.0f, {gw, g.taps, 1}, nested);
}

bool pointwiseGemmForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  std::atomic<bool> ok{true};
  forEachImage(g, [&](int64_t n, bool nested) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* x = X + (n * g.cin + grp * g.cinG) * g.inPlane;
      float* o = O + (n * g.cout + grp * g.coutG) * g.outPlane;
      if (!pointwiseProduct(g, W + grp * g.coutG * g.taps, x, g.inPlane, o, nested))
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
      if (!pointwiseDataProduct(g, W + grp * g.coutG * g.taps, gy, gx, g.inPlane, nested))
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
      if (!pointwiseFilterProduct(g, gy, x, g.inPlane, acc + grp * g.coutG * g.taps, nested))
        ok = false;
    }
    return ok;
  });
}

bool stridedPointwiseForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  std::atomic<bool> ok{true};
  forEachImage(g, [&](int64_t n, bool nested) {
    float* col = threadScratch(kColumns).get<float>(g.cinG * g.outPlane);
    if (!col) {
      ok = false;
      return;
    }
    for (int64_t grp = 0; grp < g.groups; grp++) {
      stridedGather(g, X + (n * g.cin + grp * g.cinG) * g.inPlane, col, nested);
      float* o = O + (n * g.cout + grp * g.coutG) * g.outPlane;
      if (!pointwiseProduct(g, W + grp * g.coutG * g.taps, col, g.outPlane, o, nested))
        ok = false;
      addBias(o, g.coutG, g.outPlane, bias.from(grp * g.coutG));
    }
  });
  return ok;
}

bool stridedPointwiseBackwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  std::atomic<bool> ok{true};
  forEachImage(g, [&](int64_t n, bool nested) {
    float* col = threadScratch(kColumns).get<float>(g.cinG * g.outPlane);
    if (!col) {
      ok = false;
      return;
    }
    float* gxImage = GX + n * g.cin * g.inPlane;
    std::memset(gxImage, 0, g.cin * g.inPlane * sizeof(float));  // the positions no output reads
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* gy = GY + (n * g.cout + grp * g.coutG) * g.outPlane;
      if (!pointwiseDataProduct(g, W + grp * g.coutG * g.taps, gy, col, g.outPlane, nested))
        ok = false;
      stridedScatter(g, col, gxImage + grp * g.cinG * g.inPlane, nested);
    }
  });
  return ok;
}

bool stridedPointwiseBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb) {
  return sumFilterGradientOverImages(g, GY, GW, gb, [&](int64_t n, float* acc, bool nested) {
    float* col = threadScratch(kColumns).get<float>(g.cinG * g.outPlane);
    if (!col) return false;
    bool ok = true;
    for (int64_t grp = 0; grp < g.groups; grp++) {
      stridedGather(g, X + (n * g.cin + grp * g.cinG) * g.inPlane, col, nested);
      const float* gy = GY + (n * g.cout + grp * g.coutG) * g.outPlane;
      if (!pointwiseFilterProduct(g, gy, col, g.outPlane, acc + grp * g.coutG * g.taps, nested))
        ok = false;
    }
    return ok;
  });
}

}  // namespace nabla::conv
