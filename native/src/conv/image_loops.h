// How the per-image algorithms spread a batch over the thread pool. A batch that can fill the pool
// runs one image per task (each thread with its own scratch, every GEMM serial); a smaller one
// runs image by image on the caller with each GEMM parallel instead.

#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "../scratch.h"
#include "../threadpool.h"
#include "bias.h"
#include "geometry.h"

namespace nabla::conv {

/** Whether the images go over the pool (true) or run one after the other, their GEMMs parallel. */
inline bool imagesFillPool(const Geometry& g) { return g.batch >= 2 && numThreads() > 1 && g.batch >= numThreads(); }

/** body(n, nestedParallel) for every image n; nestedParallel says whether its GEMMs may use the pool. */
template <class Body>
void forEachImage(const Geometry& g, Body&& body) {
  if (imagesFillPool(g)) {
    parallelTasks(g.batch, [&](int64_t n, int) { body(n, false); });
  } else {
    for (int64_t n = 0; n < g.batch; n++) body(n, true);
  }
}

/**
 * Backward-filter's batch loop: GW (and gb, when given) = the sum over images of what
 * image(n, acc, nestedParallel) adds into acc (a zeroed [Cout, taps] gradient; image returns false
 * when it ran out of memory). The batch is cut into one contiguous range of images per thread,
 * each summed into its own gradient (range 0 straight into GW), then the ranges are added in
 * order: the result does not depend on which thread ran which range.
 */
template <class Image>
bool sumFilterGradientOverImages(const Geometry& g, const float* GY, float* GW, const BiasGrad& gb, Image&& image) {
  const int64_t wSize = g.cout * g.taps;
  const bool split = imagesFillPool(g);
  const int64_t ranges = split ? numThreads() : 1;
  // Per range: the bias gradient's sums (double, when wanted) and, past range 0, a filter gradient.
  const int64_t biasSums = gb.p ? ranges * g.cout : 0;
  const int64_t bytes = biasSums * sizeof(double) + wSize * (ranges - 1) * sizeof(float);
  char* mem = threadScratch(kConvAccum).get<char>(bytes);
  if (!mem) return false;
  double* biasAcc = reinterpret_cast<double*>(mem);
  float* extra = reinterpret_cast<float*>(mem + biasSums * sizeof(double));
  std::memset(mem, 0, bytes);
  std::memset(GW, 0, wSize * sizeof(float));
  std::atomic<bool> ok{true};
  auto addImage = [&](int64_t n, float* acc, double* biasSum, bool nested) {
    if (biasSum) {
      for (int64_t c = 0; c < g.cout; c++) biasSum[c] += planeSum(GY + (n * g.cout + c) * g.outPlane, g.outPlane);
    }
    if (!image(n, acc, nested)) ok = false;
  };
  if (split) {
    const int64_t per = (g.batch + ranges - 1) / ranges;
    parallelTasks(ranges, [&](int64_t r, int) {
      float* acc = r == 0 ? GW : extra + (r - 1) * wSize;
      double* biasSum = gb.p ? biasAcc + r * g.cout : nullptr;
      for (int64_t n = r * per; n < std::min(g.batch, (r + 1) * per); n++) addImage(n, acc, biasSum, false);
    });
  } else {
    for (int64_t n = 0; n < g.batch; n++) addImage(n, GW, gb.p ? biasAcc : nullptr, true);
  }
  for (int64_t r = 0; r < ranges - 1; r++) {
    const float* e = extra + r * wSize;
    for (int64_t i = 0; i < wSize; i++) GW[i] += e[i];
  }
  if (gb.p) {
    for (int64_t c = 0; c < g.cout; c++) {
      double sum = 0;
      for (int64_t r = 0; r < ranges; r++) sum += biasAcc[r * g.cout + c];
      gb[c] = static_cast<float>(sum);
    }
  }
  return ok;
}

}  // namespace nabla::conv
