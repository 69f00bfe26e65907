// torchvision.ops's detection kernels: greedy NMS, RoI Align (forward and backward) and RoI max
// pooling (forward and backward). Each computes in float exactly as torchvision 0.14's CPU kernel
// does (same operations in the same order), so values agree with torchvision's to rounding and
// with src/detection/host-kernels.ts (which emulates the float steps) to the last bit or close.
// Backward kernels split the work by channel: each channel plane of the input gradient is written
// by one task, adding its contributions in torchvision's order (RoI, bin, sample), so results do
// not depend on the thread count.

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "checks.h"
#include "kernels.h"
#include "threadpool.h"

namespace nabla {

namespace {

bool isDenseFloat(Args& args, const View& v, int ndim, const char* name, const char* shapeWanted) {
  if (v.dtype != kFloat32 || v.ndim != ndim || !v.dense()) {
    return args.fail(std::string(name) + " must be a contiguous float32 " + shapeWanted + " tensor, got " + v.shapeText() +
                     (v.dtype != kFloat32 ? " (not float32)" : v.dense() ? "" : " (not contiguous)"));
  }
  return true;
}

bool hasShape(Args& args, const View& v, const char* name, std::initializer_list<int64_t> dims) {
  bool same = v.ndim == static_cast<int>(dims.size());
  int i = 0;
  for (int64_t d : dims) same = same && v.shape[i++] == d;
  if (!same) {
    int64_t want[kMaxDims];
    int k = 0;
    for (int64_t d : dims) want[k++] = d;
    return args.fail(std::string(name) + " must have shape " + shapeText(want, k) + ", got " + v.shapeText());
  }
  return true;
}

/** Every RoI's batch index (column 0, truncated as torchvision does) must name an image of x. */
bool checkBatchIndices(Args& args, const View& rois, int64_t batch) {
  const float* r = rois.at<float>();
  for (int64_t k = 0; k < rois.shape[0]; k++) {
    const double v = r[5 * k];
    if (!(v > -1.0 && std::trunc(v) < static_cast<double>(batch))) {
      return args.fail("rois[" + std::to_string(k) + ", 0] = " + std::to_string(v) + " is not a batch index of an input with N = " +
                       std::to_string(batch));
    }
  }
  return true;
}

struct Geometry {
  int64_t batch = 0, channels = 0, height = 0, width = 0, rois = 0;
  int64_t pooledHeight = 0, pooledWidth = 0;
  float spatialScale = 1;
  int64_t samplingRatio = -1;
  bool aligned = false;
};

/** Reads (pooledHeight, pooledWidth, spatialScale[, samplingRatio, aligned]) from meta. */
bool readGeometry(Args& args, Geometry& g, bool align) {
  g.pooledHeight = args.integer("pooledHeight", 1, int64_t(1) << 31);
  g.pooledWidth = args.integer("pooledWidth", 1, int64_t(1) << 31);
  const double scale = args.number("spatialScale");
  if (align) {
    g.samplingRatio = args.integer("samplingRatio", -(int64_t(1) << 31), int64_t(1) << 31);
    g.aligned = args.integer("aligned", 0, 1) != 0;
  }
  if (!args.ok()) return false;
  if (!std::isfinite(scale) || scale <= 0) return args.fail("spatialScale must be a positive finite number, got " + std::to_string(scale));
  g.spatialScale = static_cast<float>(scale);
  return true;
}

/**
 * Checks the feature map (x or gx: [N, C, H, W]), rois [K, 5] and the per-RoI tensor (out or gy:
 * [K, C, ph, pw]) against each other and every batch index against N.
 */
bool checkOperands(Args& args, Geometry& g, const View& map, const char* mapName, const View& rois, const View& perRoi, const char* perRoiName) {
  if (!(isDenseFloat(args, map, 4, mapName, "[N, C, H, W]") && isDenseFloat(args, rois, 2, "rois", "[K, 5]"))) return false;
  if (rois.shape[1] != 5) return args.fail("rois must be [K, 5] (batch index, x1, y1, x2, y2), got " + rois.shapeText());
  g.batch = map.shape[0];
  g.channels = map.shape[1];
  g.height = map.shape[2];
  g.width = map.shape[3];
  g.rois = rois.shape[0];
  if (!isDenseFloat(args, perRoi, 4, perRoiName, "[K, C, ph, pw]")) return false;
  if (!hasShape(args, perRoi, perRoiName, {g.rois, g.channels, g.pooledHeight, g.pooledWidth})) return false;
  if (g.rois > 0 && (g.height == 0 || g.width == 0)) return args.fail(std::string(mapName) + " has an empty plane " + map.shapeText());
  return checkBatchIndices(args, rois, g.batch);
}

// ---- RoI Align ------------------------------------------------------------------------------

/** One RoI's start, bin sizes and sampling grid (torchvision's float arithmetic). */
struct AlignRoi {
  int64_t batch;
  float startH, startW, binH, binW;
  int gridH, gridW;
};

AlignRoi alignRoi(const float* roi, const Geometry& g) {
  AlignRoi a;
  a.batch = static_cast<int64_t>(roi[0]);
  const float offset = g.aligned ? 0.5f : 0.0f;
  a.startW = roi[1] * g.spatialScale - offset;
  a.startH = roi[2] * g.spatialScale - offset;
  const float endW = roi[3] * g.spatialScale - offset;
  const float endH = roi[4] * g.spatialScale - offset;
  float roiW = endW - a.startW, roiH = endH - a.startH;
  if (!g.aligned) {
    roiW = std::max(roiW, 1.0f);
    roiH = std::max(roiH, 1.0f);
  }
  a.binH = roiH / static_cast<float>(g.pooledHeight);
  a.binW = roiW / static_cast<float>(g.pooledWidth);
  // A huge box asks for a huge grid: clamp so the int conversion stays defined (such a grid
  // would take longer than anyone waits anyway).
  auto grid = [&](float size, int64_t pooled) -> int {
    if (g.samplingRatio > 0) return static_cast<int>(g.samplingRatio);
    const float c = std::ceil(size / static_cast<float>(pooled));
    return c != c ? 0 : static_cast<int>(std::min(std::max(c, -1.0f), 1e6f));
  };
  a.gridH = grid(roiH, g.pooledHeight);
  a.gridW = grid(roiW, g.pooledWidth);
  return a;
}

struct Taps {
  int64_t p1, p2, p3, p4;
  float w1, w2, w3, w4;
  bool inside;
};

Taps bilinearTaps(float y, float x, int64_t height, int64_t width) {
  Taps t{0, 0, 0, 0, 0, 0, 0, 0, false};
  if (y < -1.0 || y > height || x < -1.0 || x > width) return t;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  int64_t yLow = static_cast<int64_t>(y), xLow = static_cast<int64_t>(x), yHigh, xHigh;
  if (yLow >= height - 1) {
    yHigh = yLow = height - 1;
    y = static_cast<float>(yLow);
  } else {
    yHigh = yLow + 1;
  }
  if (xLow >= width - 1) {
    xHigh = xLow = width - 1;
    x = static_cast<float>(xLow);
  } else {
    xHigh = xLow + 1;
  }
  const float ly = y - yLow, lx = x - xLow;
  const float hy = 1.0f - ly, hx = 1.0f - lx;
  t.w1 = hy * hx;
  t.w2 = hy * lx;
  t.w3 = ly * hx;
  t.w4 = ly * lx;
  t.p1 = yLow * width + xLow;
  t.p2 = yLow * width + xHigh;
  t.p3 = yHigh * width + xLow;
  t.p4 = yHigh * width + xHigh;
  t.inside = true;
  return t;
}

inline float samplePoint(float start, int64_t p, float bin, int i, int grid) {
  return start + static_cast<float>(p) * bin + static_cast<float>(i + .5f) * bin / static_cast<float>(grid);
}

/** The taps of every sample of every bin of one RoI, bin by bin (torchvision's pre_calc). */
void alignTaps(const AlignRoi& a, const Geometry& g, std::vector<Taps>& taps) {
  taps.clear();
  const int gh = std::max(a.gridH, 0), gw = std::max(a.gridW, 0);
  for (int64_t ph = 0; ph < g.pooledHeight; ph++) {
    for (int64_t pw = 0; pw < g.pooledWidth; pw++) {
      for (int iy = 0; iy < gh; iy++) {
        const float y = samplePoint(a.startH, ph, a.binH, iy, a.gridH);
        for (int ix = 0; ix < gw; ix++) taps.push_back(bilinearTaps(y, samplePoint(a.startW, pw, a.binW, ix, a.gridW), g.height, g.width));
      }
    }
  }
}

// ---- RoI max pooling ------------------------------------------------------------------------

struct PoolRoi {
  int64_t batch, startH, startW;
  float binH, binW;
};

/** C's round of a float (half away from zero), clamped so the int conversion stays defined. */
int64_t roundCoordinate(float v) {
  const float r = std::round(v);
  return r != r ? 0 : static_cast<int64_t>(std::min(std::max(r, -1e9f), 1e9f));
}

PoolRoi poolRoi(const float* roi, const Geometry& g) {
  PoolRoi p;
  p.batch = static_cast<int64_t>(roi[0]);
  p.startW = roundCoordinate(roi[1] * g.spatialScale);
  p.startH = roundCoordinate(roi[2] * g.spatialScale);
  const int64_t endW = roundCoordinate(roi[3] * g.spatialScale), endH = roundCoordinate(roi[4] * g.spatialScale);
  const int64_t roiW = std::max<int64_t>(endW - p.startW + 1, 1), roiH = std::max<int64_t>(endH - p.startH + 1, 1);
  p.binH = static_cast<float>(roiH) / static_cast<float>(g.pooledHeight);
  p.binW = static_cast<float>(roiW) / static_cast<float>(g.pooledWidth);
  return p;
}

inline int64_t clampTo(int64_t v, int64_t hi) { return std::min(std::max(v, int64_t(0)), hi); }

}  // namespace

napi_value Nms(napi_env env, napi_callback_info info) {
  Args args(env, info, "nms");
  const double threshold = args.number("iouThreshold");
  View boxes, scores, keep;
  args.view(boxes, "boxes") && args.view(scores, "scores") && args.view(keep, "keep") && args.finish();
  if (!args.ok()) return nullptr;
  if (!isDenseFloat(args, boxes, 2, "boxes", "[n, 4]")) return nullptr;
  const int64_t n = boxes.shape[0];
  if (boxes.shape[1] != 4) return args.fail("boxes must be [n, 4], got " + boxes.shapeText()), nullptr;
  if (!isDenseFloat(args, scores, 1, "scores", "[n]") || !hasShape(args, scores, "scores", {n})) return nullptr;
  if (keep.dtype != kInt32 || !keep.dense() || !hasShape(args, keep, "keep", {n})) {
    return args.fail("keep must be a contiguous int32 [" + std::to_string(n) + "] tensor, got " + keep.shapeText()), nullptr;
  }
  const float* b = boxes.at<float>();
  const float* s = scores.at<float>();
  std::vector<int32_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) order[i] = static_cast<int32_t>(i);
  // Descending, ties in index order (torch's stable sort); NaN first, as torch sorts it.
  std::stable_sort(order.begin(), order.end(), [s](int32_t i, int32_t j) {
    const bool ni = s[i] != s[i], nj = s[j] != s[j];
    if (ni || nj) return ni && !nj;
    return s[i] > s[j];
  });
  // Corners in sorted order, one array each, so the inner loop streams through memory.
  std::vector<float> x1(n), y1(n), x2(n), y2(n), area(n);
  for (int64_t a = 0; a < n; a++) {
    const float* q = b + 4 * static_cast<int64_t>(order[a]);
    x1[a] = q[0], y1[a] = q[1], x2[a] = q[2], y2[a] = q[3];
    area[a] = (q[2] - q[0]) * (q[3] - q[1]);
  }
  // torchvision compares the float IoU with the double threshold; the largest float not above
  // the threshold gives the same answer in float, which keeps the inner loop vectorizable.
  float thr = static_cast<float>(threshold);
  if (static_cast<double>(thr) > threshold) thr = std::nextafter(thr, -INFINITY);
  // Branch-free inner loop (a suppressed box's IoU is computed and ignored), so the compiler
  // vectorizes it; the flags are int32 to match the floats' lanes.
  std::vector<int32_t> suppressed(static_cast<size_t>(n), 0);
  int32_t* out = keep.at<int32_t>();
  int64_t kept = 0;
  for (int64_t a = 0; a < n; a++) {
    if (suppressed[a]) continue;
    out[kept++] = order[a];
    const float ix1 = x1[a], iy1 = y1[a], ix2 = x2[a], iy2 = y2[a], iarea = area[a];
    const float *px1 = x1.data(), *py1 = y1.data(), *px2 = x2.data(), *py2 = y2.data(), *par = area.data();
    int32_t* sup = suppressed.data();
    for (int64_t c = a + 1; c < n; c++) {
      const float w = std::max(0.0f, std::min(ix2, px2[c]) - std::max(ix1, px1[c]));
      const float h = std::max(0.0f, std::min(iy2, py2[c]) - std::max(iy1, py1[c]));
      const float inter = w * h;
      const float ovr = inter / (iarea + par[c] - inter);
      sup[c] |= static_cast<int32_t>(ovr > thr);
    }
  }
  napi_value result;
  napi_create_int64(env, kept, &result);
  return result;
}

napi_value RoiAlign(napi_env env, napi_callback_info info) {
  Args args(env, info, "roiAlign");
  Geometry g;
  View x, rois, out;
  readGeometry(args, g, true) && args.view(x, "x") && args.view(rois, "rois") && args.view(out, "out") && args.finish();
  if (!args.ok() || !checkOperands(args, g, x, "x", rois, out, "out")) return nullptr;
  const float* input = x.at<float>();
  const float* r = rois.at<float>();
  float* o = out.at<float>();
  const int64_t planeSize = g.height * g.width, bins = g.pooledHeight * g.pooledWidth;
  parallelRanges(g.rois, 1, [&](int64_t begin, int64_t end, int) {
    std::vector<Taps> taps;
    for (int64_t n = begin; n < end; n++) {
      const AlignRoi a = alignRoi(r + 5 * n, g);
      alignTaps(a, g, taps);
      const int64_t samples = static_cast<int64_t>(std::max(a.gridH, 0)) * std::max(a.gridW, 0);
      const float count = static_cast<float>(std::max(a.gridH * a.gridW, 1));
      for (int64_t c = 0; c < g.channels; c++) {
        const float* plane = input + (a.batch * g.channels + c) * planeSize;
        float* dst = o + (n * g.channels + c) * bins;
        const Taps* t = taps.data();
        for (int64_t bin = 0; bin < bins; bin++) {
          float v = 0;
          for (int64_t k = 0; k < samples; k++, t++) v += t->w1 * plane[t->p1] + t->w2 * plane[t->p2] + t->w3 * plane[t->p3] + t->w4 * plane[t->p4];
          dst[bin] = v / count;
        }
      }
    }
  });
  return nullptr;
}

napi_value RoiAlignBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "roiAlignBackward");
  Geometry g;
  View gy, rois, gx;
  readGeometry(args, g, true) && args.view(gy, "gy") && args.view(rois, "rois") && args.view(gx, "gx") && args.finish();
  if (!args.ok() || !checkOperands(args, g, gx, "gx", rois, gy, "gy")) return nullptr;
  const float* go = gy.at<float>();
  const float* r = rois.at<float>();
  float* gi = gx.at<float>();
  const int64_t planeSize = g.height * g.width, bins = g.pooledHeight * g.pooledWidth;
  const int64_t work = g.rois * bins * planeSize > 0 ? g.rois * bins : 0;
  parallelRanges(g.channels, work > 4096 ? 1 : g.channels, [&](int64_t c0, int64_t c1, int) {
    std::vector<Taps> taps;
    for (int64_t n = 0; n < g.rois; n++) {
      const AlignRoi a = alignRoi(r + 5 * n, g);
      alignTaps(a, g, taps);
      const int64_t samples = static_cast<int64_t>(std::max(a.gridH, 0)) * std::max(a.gridW, 0);
      const float count = static_cast<float>(a.gridH * a.gridW);
      for (int64_t c = c0; c < c1; c++) {
        float* plane = gi + (a.batch * g.channels + c) * planeSize;
        const float* src = go + (n * g.channels + c) * bins;
        const Taps* t = taps.data();
        for (int64_t bin = 0; bin < bins; bin++) {
          const float gb = src[bin];
          for (int64_t k = 0; k < samples; k++, t++) {
            if (!t->inside) continue;
            plane[t->p1] += gb * t->w1 / count;
            plane[t->p2] += gb * t->w2 / count;
            plane[t->p3] += gb * t->w3 / count;
            plane[t->p4] += gb * t->w4 / count;
          }
        }
      }
    }
  });
  return nullptr;
}

napi_value RoiPool(napi_env env, napi_callback_info info) {
  Args args(env, info, "roiPool");
  Geometry g;
  View x, rois, out, argmax;
  readGeometry(args, g, false) && args.view(x, "x") && args.view(rois, "rois") && args.view(out, "out") && args.view(argmax, "argmax") &&
      args.finish();
  if (!args.ok() || !checkOperands(args, g, x, "x", rois, out, "out")) return nullptr;
  if (argmax.dtype != kInt32 || !argmax.dense() || !sameShape(argmax, out)) {
    return args.fail("argmax must be a contiguous int32 tensor of out's shape " + out.shapeText() + ", got " + argmax.shapeText()), nullptr;
  }
  const float* input = x.at<float>();
  const float* r = rois.at<float>();
  float* o = out.at<float>();
  int32_t* am = argmax.at<int32_t>();
  const int64_t H = g.height, W = g.width, C = g.channels, PH = g.pooledHeight, PW = g.pooledWidth;
  parallelRanges(g.rois, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t n = begin; n < end; n++) {
      const PoolRoi p = poolRoi(r + 5 * n, g);
      for (int64_t ph = 0; ph < PH; ph++) {
        const int64_t hs = clampTo(static_cast<int64_t>(std::floor(static_cast<float>(ph) * p.binH)) + p.startH, H);
        const int64_t he = clampTo(static_cast<int64_t>(std::ceil(static_cast<float>(ph + 1) * p.binH)) + p.startH, H);
        for (int64_t pw = 0; pw < PW; pw++) {
          const int64_t ws = clampTo(static_cast<int64_t>(std::floor(static_cast<float>(pw) * p.binW)) + p.startW, W);
          const int64_t we = clampTo(static_cast<int64_t>(std::ceil(static_cast<float>(pw + 1) * p.binW)) + p.startW, W);
          const bool empty = he <= hs || we <= ws;
          for (int64_t c = 0; c < C; c++) {
            const float* plane = input + (p.batch * C + c) * H * W;
            float best = empty ? 0 : -FLT_MAX;
            int64_t at = -1;
            for (int64_t h = hs; h < he; h++) {
              for (int64_t w = ws; w < we; w++) {
                if (plane[h * W + w] > best) {
                  best = plane[h * W + w];
                  at = h * W + w;
                }
              }
            }
            const int64_t idx = ((n * C + c) * PH + ph) * PW + pw;
            o[idx] = best;
            am[idx] = static_cast<int32_t>(at);
          }
        }
      }
    }
  });
  return nullptr;
}

napi_value RoiPoolBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "roiPoolBackward");
  Geometry g;
  View gy, rois, argmax, gx;
  args.view(gy, "gy") && args.view(rois, "rois") && args.view(argmax, "argmax") && args.view(gx, "gx") && args.finish();
  if (!args.ok()) return nullptr;
  if (gy.ndim != 4) return args.fail("gy must be [K, C, ph, pw], got " + gy.shapeText()), nullptr;
  g.pooledHeight = gy.shape[2];
  g.pooledWidth = gy.shape[3];
  if (!checkOperands(args, g, gx, "gx", rois, gy, "gy")) return nullptr;
  if (argmax.dtype != kInt32 || !argmax.dense() || !sameShape(argmax, gy)) {
    return args.fail("argmax must be a contiguous int32 tensor of gy's shape " + gy.shapeText() + ", got " + argmax.shapeText()), nullptr;
  }
  const int32_t* am = argmax.at<int32_t>();
  const int64_t planeSize = g.height * g.width, bins = g.pooledHeight * g.pooledWidth;
  for (int64_t i = 0; i < argmax.numel; i++) {
    if (am[i] < -1 || am[i] >= planeSize) {
      return args.fail("argmax[" + std::to_string(i) + "] = " + std::to_string(am[i]) + " is outside a plane of " + std::to_string(planeSize) + " elements"), nullptr;
    }
  }
  const float* go = gy.at<float>();
  const float* r = rois.at<float>();
  float* gi = gx.at<float>();
  parallelRanges(g.channels, g.rois * bins > 4096 ? 1 : g.channels, [&](int64_t c0, int64_t c1, int) {
    for (int64_t n = 0; n < g.rois; n++) {
      const int64_t batch = static_cast<int64_t>(r[5 * n]);
      for (int64_t c = c0; c < c1; c++) {
        float* plane = gi + (batch * g.channels + c) * planeSize;
        const int64_t base = (n * g.channels + c) * bins;
        for (int64_t b = 0; b < bins; b++) {
          if (am[base + b] != -1) plane[am[base + b]] += go[base + b];
        }
      }
    }
  });
  return nullptr;
}

}  // namespace nabla
