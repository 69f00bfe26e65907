// float32 pooling over 1, 2 or 3 spatial dims: max, average and adaptive (average and max),
// forward and backward, with the cpu backend's semantics (see src/backend/cpu/pool.ts): windows
// from out's shape (so ceil mode is just a larger out), countIncludePad and divisorOverride for
// averages, NaN winning a max, flat in-plane indices of each max for backward.
//
// Per spatial dim a tap table gives each output position its first in-range input offset, how
// many evenly spaced taps follow and (for averages) its divisor factor, so the window loops have
// no bounds checks. Planes (n, c) are spread over the thread pool.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "checks.h"
#include "kernels.h"
#include "pool2x2.h"
#include "threadpool.h"

namespace nabla {

namespace {

enum Mode : int { kMax = 0, kAvg = 1, kAdaptiveAvg = 2, kAdaptiveMax = 3 };

struct DimTaps {
  std::vector<int64_t> first, count, padded;
  int64_t step = 1;
  /** Window size (taps of a window that lies fully inside) and, for sliding windows, stride,
   *  padding and dilation; the input length and its element stride within a plane. */
  int64_t k = 1, s = 1, pb = 0, d = 1, L = 1, scale = 1;
  bool sliding = false;
};

struct Params {
  int64_t nd = 0;
  int64_t k[3] = {}, s[3] = {}, pb[3] = {}, pa[3] = {}, d[3] = {};
  bool countIncludePad = true;
  double divisor = 0;  // divisorOverride, 0 when absent
};

inline int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

DimTaps windowTaps(int64_t L, int64_t O, int64_t k, int64_t s, int64_t pb, int64_t pa, int64_t d, int64_t scale) {
  DimTaps t;
  t.first.resize(O);
  t.count.resize(O);
  t.padded.resize(O);
  t.step = d * scale;
  t.k = k;
  t.s = s;
  t.pb = pb;
  t.d = d;
  t.L = L;
  t.scale = scale;
  t.sliding = true;
  for (int64_t o = 0; o < O; o++) {
    const int64_t start = o * s - pb;
    const int64_t jLo = start >= 0 ? 0 : ceilDiv(-start, d);
    const int64_t jHi = std::min(k, ceilDiv(L - start, d));
    t.first[o] = (start + jLo * d) * scale;
    t.count[o] = std::max<int64_t>(0, jHi - jLo);
    t.padded[o] = std::max<int64_t>(0, std::min(k, ceilDiv(L + pa - start, d)));
  }
  return t;
}

DimTaps adaptiveTaps(int64_t L, int64_t O, int64_t scale) {
  DimTaps t;
  t.first.resize(O);
  t.count.resize(O);
  t.step = scale;
  for (int64_t o = 0; o < O; o++) {
    const int64_t lo = (o * L) / O, hi = ceilDiv((o + 1) * L, O);
    t.first[o] = lo * scale;
    t.count[o] = hi - lo;
  }
  t.padded = t.count;
  return t;
}

struct Geometry {
  int64_t planes = 0, inPlane = 0, outPlane = 0;
  DimTaps dims[3];
};

/** Geometry of in [N, C, ...] → out [N, C, ...], spatial dims padded to three. */
Geometry geometry(const View& in, const View& out, int mode, const Params& p) {
  Geometry g;
  const int64_t nd = in.ndim - 2;
  g.planes = in.shape[0] * in.shape[1];
  g.inPlane = 1;
  g.outPlane = 1;
  for (int64_t i = 0; i < nd; i++) {
    g.inPlane *= in.shape[2 + i];
    g.outPlane *= out.shape[2 + i];
  }
  for (int i = 0; i < 3 - nd; i++) {
    g.dims[i].first = {0};
    g.dims[i].count = {1};
    g.dims[i].padded = {1};
    g.dims[i].step = 1;
  }
  int64_t scale = 1;
  for (int64_t i = nd - 1; i >= 0; i--) {
    const int64_t L = in.shape[2 + i], O = out.shape[2 + i];
    DimTaps& t = g.dims[3 - nd + i];
    if (mode == kAdaptiveAvg || mode == kAdaptiveMax) t = adaptiveTaps(L, O, scale);
    else t = windowTaps(L, O, p.k[i], p.s[i], p.pb[i], p.pa[i], p.d[i], scale);
    scale *= L;
  }
  return g;
}

/** The max of one window and the index of the winner: first maximum wins, NaN wins, a later NaN too. */
inline void maxWindow(const float* x, int64_t d0, int64_t dEnd, int64_t dStep, int64_t h0, int64_t hSpan, int64_t hStep, int64_t w0, int64_t wSpan,
                      int64_t wStep, float& bestOut, int64_t& atOut) {
  float best = -INFINITY;
  int64_t bestAt = (dEnd > d0 && hSpan > 0 && wSpan > 0) ? d0 + h0 + w0 : -1;
  for (int64_t a = d0; a < dEnd; a += dStep)
    for (int64_t b = a + h0, bEnd = b + hSpan; b < bEnd; b += hStep)
      for (int64_t c = b + w0, cEnd = c + wSpan; c < cEnd; c += wStep) {
        const float v = x[c];
        if (v > best || v != v) {
          best = v;
          bestAt = c;
        }
      }
  bestOut = best;
  atOut = bestAt;
}

/** Chunk of outputs along the last dim that the vectorised row path handles at once. */
constexpr int64_t kRowChunk = 256;

/**
 * Outputs [w0, w1) of one output row whose windows all lie fully inside along the last dim, tap by
 * tap across the row (so the compiler vectorises over outputs): rowStarts are the input row
 * offsets of the window's rows (depth and height taps), in tap order.
 */
void maxRowInterior(const float* x, const int64_t* rowStarts, int64_t nRows, const DimTaps& W, int64_t w0, int64_t w1, float* out, int32_t* idx) {
  float best[kRowChunk];
  int32_t at[kRowChunk];
  // The last spatial dim has unit scale: window o starts at o·s − pb, its taps dilation apart.
  const int64_t sw = W.s, dw = W.step;
  for (int64_t c0 = w0; c0 < w1; c0 += kRowChunk) {
    const int64_t n = std::min(kRowChunk, w1 - c0);
    const int64_t base0 = c0 * sw - W.pb;
    for (int64_t j = 0; j < n; j++) {
      best[j] = -INFINITY;
      at[j] = static_cast<int32_t>(rowStarts[0] + base0 + j * sw);
    }
    for (int64_t r = 0; r < nRows; r++) {
      for (int64_t kx = 0; kx < W.k; kx++) {
        const int64_t first = rowStarts[r] + base0 + kx * dw;
        const float* src = x + first;
        for (int64_t j = 0; j < n; j++) {
          const float v = src[j * sw];
          const bool take = (v > best[j]) | (v != v);
          best[j] = take ? v : best[j];
          at[j] = take ? static_cast<int32_t>(first + j * sw) : at[j];
        }
      }
    }
    for (int64_t j = 0; j < n; j++) {
      out[c0 + j] = best[j];
      idx[c0 + j] = at[j];
    }
  }
}

/**
 * Turn max pooling's results for x into those for relu(x), on planes still in cache: max commutes
 * with relu, and a window whose max is not positive held only zeros after relu, so none of its
 * taps gets a gradient (index -1, which backward skips). A NaN max stays NaN, also with -1: relu's
 * gradient at NaN is 0 (as reluGrad's y > 0 test gives). Applying it twice changes nothing.
 */
void reluWindows(float* out, int32_t* idx, int64_t n) {
  // Branch-free, so it vectorises: the signs of pooled activations are close to random.
  for (int64_t i = 0; i < n; i++) {
    const float v = out[i];
    const bool positive = v > 0.0f;
    out[i] = positive || v != v ? v : 0.0f;
    idx[i] = positive ? idx[i] : -1;
  }
}

void maxPlanes(const Geometry& g, const float* X, float* O, int32_t* I, bool afterRelu, int64_t p0, int64_t p1) {
  const DimTaps &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const int64_t OD = D.first.size(), OH = H.first.size(), OW = W.first.size();
  // Outputs along the last dim whose windows lie fully inside it: the vectorised row path.
  int64_t wLo = OW, wHi = OW;
  if (W.sliding && g.inPlane < (int64_t(1) << 31)) {
    wLo = 0;
    while (wLo < OW && W.count[wLo] != W.k) wLo++;
    wHi = wLo;
    while (wHi < OW && W.count[wHi] == W.k) wHi++;
  }
  // 2×2 windows, stride 2, no padding or dilation, 1-d or 2-d: the eight-at-a-time kernel.
  auto twoByTwo = [](const DimTaps& t, int64_t outputs) { return t.sliding && t.k == 2 && t.s == 2 && t.pb == 0 && t.d == 1 && 2 * outputs <= t.L; };
  const bool pool2x2 = OD == 1 && D.count[0] == 1 && twoByTwo(H, OH) && twoByTwo(W, OW) && g.inPlane < (int64_t(1) << 31);
  int64_t rowStarts[64];
  for (int64_t plane = p0; plane < p1; plane++) {
    const float* x = X + plane * g.inPlane;
    float* o = O + plane * g.outPlane;
    int32_t* idx = I + plane * g.outPlane;
    int64_t oi = 0;
    if (pool2x2) {
      Pool2x2Plane plane;
      plane.x = x;
      plane.ld = plane.W = W.L;
      plane.OH = OH;
      plane.OW = OW;
      plane.afterRelu = afterRelu;
      plane.out = o;
      plane.idx = idx;
      maxPool2x2Plane(plane);
      continue;
    }
    for (int64_t od = 0; od < OD; od++) {
      const int64_t d0 = D.first[od], dEnd = d0 + D.count[od] * D.step;
      for (int64_t oh = 0; oh < OH; oh++, oi += OW) {
        const int64_t h0 = H.first[oh], hSpan = H.count[oh] * H.step;
        int64_t nRows = 0;
        if (wHi > wLo && D.count[od] * H.count[oh] <= 64 && D.count[od] > 0 && H.count[oh] > 0) {
          for (int64_t a = d0; a < dEnd; a += D.step)
            for (int64_t b = a + h0, bEnd = b + hSpan; b < bEnd; b += H.step) rowStarts[nRows++] = b;
          maxRowInterior(x, rowStarts, nRows, W, wLo, wHi, o + oi, idx + oi);
        }
        for (int64_t ow = 0; ow < OW; ow++) {
          if (nRows > 0 && ow >= wLo && ow < wHi) continue;
          float best;
          int64_t at;
          maxWindow(x, d0, dEnd, D.step, h0, hSpan, H.step, W.first[ow], W.count[ow] * W.step, W.step, best, at);
          o[oi + ow] = best;
          idx[oi + ow] = static_cast<int32_t>(at);
        }
      }
    }
    if (afterRelu) reluWindows(o, idx, g.outPlane);
  }
}

inline const std::vector<int64_t>& divisorFactors(const DimTaps& t, bool countPadding) { return countPadding ? t.padded : t.count; }

void avgPlanes(const Geometry& g, const float* X, float* O, bool countPadding, double override, int64_t p0, int64_t p1) {
  const DimTaps &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const auto &fD = divisorFactors(D, countPadding), &fH = divisorFactors(H, countPadding), &fW = divisorFactors(W, countPadding);
  const int64_t OD = D.first.size(), OH = H.first.size(), OW = W.first.size();
  for (int64_t plane = p0; plane < p1; plane++) {
    const float* x = X + plane * g.inPlane;
    float* o = O + plane * g.outPlane;
    int64_t oi = 0;
    for (int64_t od = 0; od < OD; od++) {
      const int64_t d0 = D.first[od], dEnd = d0 + D.count[od] * D.step;
      for (int64_t oh = 0; oh < OH; oh++) {
        const int64_t h0 = H.first[oh], hSpan = H.count[oh] * H.step;
        const double fDH = static_cast<double>(fD[od] * fH[oh]);
        for (int64_t ow = 0; ow < OW; ow++, oi++) {
          const int64_t w0 = W.first[ow], wSpan = W.count[ow] * W.step;
          if (dEnd == d0 || hSpan == 0 || wSpan == 0) {
            o[oi] = 0.0f;
            continue;
          }
          double sum = 0;
          for (int64_t a = d0; a < dEnd; a += D.step)
            for (int64_t b = a + h0, bEnd = b + hSpan; b < bEnd; b += H.step)
              for (int64_t c = b + w0, cEnd = c + wSpan; c < cEnd; c += W.step) sum += x[c];
          o[oi] = static_cast<float>(sum / (override != 0 ? override : fDH * static_cast<double>(fW[ow])));
        }
      }
    }
  }
}

void avgBackwardPlanes(const Geometry& g, const float* GY, float* GX, bool countPadding, double override, int64_t p0, int64_t p1) {
  const DimTaps &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const auto &fD = divisorFactors(D, countPadding), &fH = divisorFactors(H, countPadding), &fW = divisorFactors(W, countPadding);
  const int64_t OD = D.first.size(), OH = H.first.size(), OW = W.first.size();
  for (int64_t plane = p0; plane < p1; plane++) {
    const float* gy = GY + plane * g.outPlane;
    float* gx = GX + plane * g.inPlane;
    std::memset(gx, 0, g.inPlane * sizeof(float));
    int64_t gi = 0;
    for (int64_t od = 0; od < OD; od++) {
      const int64_t d0 = D.first[od], dEnd = d0 + D.count[od] * D.step;
      for (int64_t oh = 0; oh < OH; oh++) {
        const int64_t h0 = H.first[oh], hSpan = H.count[oh] * H.step;
        const double fDH = static_cast<double>(fD[od] * fH[oh]);
        for (int64_t ow = 0; ow < OW; ow++, gi++) {
          const int64_t w0 = W.first[ow], wSpan = W.count[ow] * W.step;
          if (dEnd == d0 || hSpan == 0 || wSpan == 0) continue;
          const double share = gy[gi] / (override != 0 ? override : fDH * static_cast<double>(fW[ow]));
          for (int64_t a = d0; a < dEnd; a += D.step)
            for (int64_t b = a + h0, bEnd = b + hSpan; b < bEnd; b += H.step)
              for (int64_t c = b + w0, cEnd = c + wSpan; c < cEnd; c += W.step) gx[c] = static_cast<float>(gx[c] + share);
        }
      }
    }
  }
}

/** Planes per task: enough work per task to amortise handing it out. */
int64_t planeGrain(const Geometry& g) {
  const int64_t work = std::max<int64_t>(1, g.outPlane + g.inPlane);
  return std::max<int64_t>(1, (1 << 14) / work);
}

bool readParams(Args& args, int mode, Params& p) {
  p.nd = args.integer("spatial dims", 1, 3);
  if (mode == kMax || mode == kAvg) {
    for (int64_t i = 0; i < p.nd; i++) {
      p.k[i] = args.integer("kernel", 1, int64_t(1) << 40);
      p.s[i] = args.integer("stride", 1, int64_t(1) << 40);
      p.pb[i] = args.integer("padBefore", 0, int64_t(1) << 40);
      p.pa[i] = args.integer("padAfter", 0, int64_t(1) << 40);
      p.d[i] = args.integer("dilation", 1, int64_t(1) << 40);
    }
  }
  if (mode == kAvg) {
    p.countIncludePad = args.integer("countIncludePad", 0, 1) == 1;
    p.divisor = args.number("divisorOverride");
    if (!std::isfinite(p.divisor)) return args.fail("divisorOverride must be a finite number");
  }
  return args.ok();
}

/** in [N, C, ...] and out [N, C, ...] float32, contiguous, nd spatial dims. */
bool checkPair(Args& args, const View& in, const char* inName, const View& out, const char* outName, int64_t nd) {
  const std::string ctx = std::string(" (") + inName + " " + in.shapeText() + ", " + outName + " " + out.shapeText() + ")";
  if (in.dtype != kFloat32 || out.dtype != kFloat32) return args.fail("operands must be float32" + ctx);
  if (in.ndim != nd + 2 || out.ndim != nd + 2 || in.shape[0] != out.shape[0] || in.shape[1] != out.shape[1])
    return args.fail("expected [N, C, ...spatial] operands with " + std::to_string(nd) + " spatial dims and matching N, C" + ctx);
  if (!in.dense() || !out.dense()) return args.fail("operands must be contiguous" + ctx);
  return true;
}

bool checkIndices(Args& args, const View& indices, const View& out) {
  if (indices.dtype != kInt32 || !sameShape(indices, out) || !indices.dense())
    return args.fail("indices must be a contiguous int32 view of shape " + out.shapeText() + ", got " + indices.shapeText());
  return true;
}

}  // namespace

napi_value Pool(napi_env env, napi_callback_info info) {
  Args args(env, info, "pool");
  const int mode = static_cast<int>(args.integer("mode", 0, 3));
  // Max pooling only: pool relu(x) instead of x (see reluWindows).
  const bool afterRelu = mode == kMax && args.integer("afterRelu", 0, 1) == 1;
  Params p;
  if (!readParams(args, mode, p)) return nullptr;
  View x, out, indices;
  args.view(x, "x") && args.view(out, "out");
  const bool isMax = mode == kMax || mode == kAdaptiveMax;
  if (isMax) args.view(indices, "indices");
  if (!args.finish() || !checkPair(args, x, "x", out, "out", p.nd) || (isMax && !checkIndices(args, indices, out))) return nullptr;
  if (out.numel == 0) return nullptr;
  const Geometry g = geometry(x, out, mode, p);
  const float* X = x.at<float>();
  float* O = out.at<float>();
  parallelRanges(g.planes, planeGrain(g), [&](int64_t b, int64_t e, int) {
    if (isMax) maxPlanes(g, X, O, indices.at<int32_t>(), afterRelu, b, e);
    else avgPlanes(g, X, O, mode == kAdaptiveAvg ? true : p.countIncludePad, mode == kAdaptiveAvg ? 0 : p.divisor, b, e);
  });
  return nullptr;
}

napi_value PoolBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "avgPoolBackward");
  const int mode = static_cast<int>(args.integer("mode", 1, 2));
  Params p;
  if (!readParams(args, mode, p)) return nullptr;
  View gy, gx;
  args.view(gy, "gy") && args.view(gx, "gx");
  if (!args.finish() || !checkPair(args, gx, "gx", gy, "gy", p.nd)) return nullptr;
  if (gx.numel == 0) return nullptr;
  const Geometry g = geometry(gx, gy, mode, p);
  const float* GY = gy.at<float>();
  float* GX = gx.at<float>();
  parallelRanges(g.planes, planeGrain(g), [&](int64_t b, int64_t e, int) {
    avgBackwardPlanes(g, GY, GX, mode == kAdaptiveAvg ? true : p.countIncludePad, mode == kAdaptiveAvg ? 0 : p.divisor, b, e);
  });
  return nullptr;
}

napi_value MaxPoolBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "maxPoolBackward");
  const int64_t nd = args.integer("spatial dims", 1, 3);
  View gy, indices, gx;
  args.view(gy, "gy") && args.view(indices, "indices") && args.view(gx, "gx");
  if (!args.finish() || !checkPair(args, gx, "gx", gy, "gy", nd) || !checkIndices(args, indices, gy)) return nullptr;
  if (gx.numel == 0) return nullptr;
  const int64_t planes = gx.shape[0] * gx.shape[1];
  const int64_t inPlane = planes ? gx.numel / planes : 0, outPlane = planes ? gy.numel / planes : 0;
  const int32_t* I = indices.at<int32_t>();
  // Every index must name an element of its plane (or be -1: no gradient) before any write; the
  // threads look for the first one that does not.
  std::atomic<int64_t> firstBad{indices.numel};
  parallelRanges(indices.numel, 1 << 15, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; i++) {
      if (I[i] < -1 || I[i] >= inPlane) {
        int64_t seen = firstBad.load();
        while (i < seen && !firstBad.compare_exchange_weak(seen, i)) {}
        return;
      }
    }
  });
  if (const int64_t i = firstBad.load(); i < indices.numel)
    return args.fail("index " + std::to_string(I[i]) + " at position " + std::to_string(i) + " is outside a plane of " + std::to_string(inPlane) + " elements"), nullptr;
  const float* GY = gy.at<float>();
  float* GX = gx.at<float>();
  // 2-d planes whose windows may be 2×2 blocks (the common pooling layer) try the one-pass kernel.
  const bool blocks = nd == 2 && 2 * gy.shape[2] <= gx.shape[2] && 2 * gy.shape[3] <= gx.shape[3];
  parallelRanges(planes, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, inPlane)), [&](int64_t b, int64_t e, int) {
    for (int64_t plane = b; plane < e; plane++) {
      float* x = GX + plane * inPlane;
      if (blocks && maxUnpool2x2(GY + plane * outPlane, I + plane * outPlane, gx.shape[2], gx.shape[3], gy.shape[2], gy.shape[3], x)) continue;
      std::memset(x, 0, inPlane * sizeof(float));
      const float* g = GY + plane * outPlane;
      const int32_t* idx = I + plane * outPlane;
      for (int64_t o = 0; o < outPlane; o++)
        if (idx[o] >= 0) x[idx[o]] += g[o];
    }
  });
  return nullptr;
}

}  // namespace nabla
