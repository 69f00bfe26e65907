#include "batched_planes.h"

#include <algorithm>
#include <cstring>

#include "../gemm.h"
#include "../scratch.h"
#include "../threadpool.h"
#include "choose.h"
#include "columns.h"

namespace nabla::conv {

namespace {

/** Images per block: as many as keep the column block within kMaxColumnFloats. */
int64_t imagesPerBlock(const Geometry& g) {
  const int64_t per = kMaxColumnFloats / std::max<int64_t>(g.taps * g.outPlane, 1);
  return std::max<int64_t>(1, std::min(per, g.batch));
}

/** Copy channels c0..c0+rows of image n of [N, C, P] to P-float pieces of block rows ld apart, and back. */
void gatherPlanes(const float* src, int64_t channels, int64_t c0, int64_t rows, int64_t P, int64_t n, float* block, int64_t ld) {
  for (int64_t r = 0; r < rows; r++) std::memcpy(block + r * ld, src + (n * channels + c0 + r) * P, P * sizeof(float));
}
void scatterPlanes(const float* block, int64_t channels, int64_t c0, int64_t rows, int64_t P, int64_t n, float* dst, int64_t ld) {
  for (int64_t r = 0; r < rows; r++) std::memcpy(dst + (n * channels + c0 + r) * P, block + r * ld, P * sizeof(float));
}

/**
 * The spatial taps (kz, ky, kx flattened, in order) that reach the input from at least one output
 * position, written to live; returns their count. A tap is live when it is along every dim, so the
 * set is a product of per-dim sets. Fewer than all only when planes are smaller than the kernel's
 * reach: ResNet-18's last stage on 32×32 inputs runs 3×3 convolutions on 1×1 planes, where 8 of
 * the 9 taps read only padding.
 */
int64_t liveSpatialTaps(const Geometry& g, int64_t* live) {
  auto reaches = [&](int i, int64_t k) {
    for (int64_t o = 0; o < g.out[i]; o++) {
      const int64_t x = o * g.s[i] - g.pad[i] + k * g.d[i];
      if (x >= 0 && x < g.in[i]) return true;
    }
    return false;
  };
  int64_t count = 0;
  for (int64_t kz = 0; kz < g.k[0]; kz++) {
    if (!reaches(0, kz)) continue;
    for (int64_t ky = 0; ky < g.k[1]; ky++) {
      if (!reaches(1, ky)) continue;
      for (int64_t kx = 0; kx < g.k[2]; kx++)
        if (reaches(2, kx)) live[count++] = (kz * g.k[1] + ky) * g.k[2] + kx;
    }
  }
  return count;
}

/**
 * copy(full, part) for every live tap's weight: its index in a [Cout, taps] filter and in the
 * [Cout, Cin/groups · live] matrix of live taps. Rows over the pool.
 */
template <class Copy>
void forEachLiveWeight(const Geometry& g, const TapList& list, Copy&& copy) {
  const int64_t kvol = g.kernelVolume(), L = list.count, taps = g.cinG * L;
  parallelRanges(g.cout, std::max<int64_t>(1, 4096 / std::max<int64_t>(taps, 1)), [&](int64_t c0, int64_t c1, int) {
    for (int64_t co = c0; co < c1; co++)
      for (int64_t ci = 0; ci < g.cinG; ci++) {
        const int64_t full = co * g.taps + ci * kvol, part = co * taps + ci * L;
        for (int64_t l = 0; l < L; l++) copy(full + list.at[l], part + l);
      }
  });
}

/**
 * One of the three passes over blocks of images. X is the image (forward, backward-filter), GY
 * the output gradient (backward-data, backward-filter); for backward-filter GW must be zeroed by
 * the caller.
 */
bool batchedPlanes(const Geometry& g, ConvPass pass, const float* X, const float* W, const float* GY, float* O, float* GX, float* GW,
                   const Bias& bias = {}) {
  const int64_t P = g.outPlane, nbMax = imagesPerBlock(g);
  float* col = threadScratch(kColumns).get<float>(g.taps * nbMax * P);
  float* block = threadScratch(kConvResult).get<float>(g.coutG * nbMax * P);
  const int64_t kvol = g.kernelVolume();
  int64_t* live = threadScratch(kStaging).get<int64_t>(kvol);
  if (!col || !block || !live) return false;
  // Taps that only ever read padding are left out of the columns and of the products: their
  // weights multiply zeros (forward, backward-data) and their filter gradient is zero.
  const int64_t liveCount = liveSpatialTaps(g, live);
  const TapList list = liveCount < kvol ? TapList{live, liveCount} : TapList{};
  const int64_t taps = list.count ? g.cinG * list.count : g.taps;
  float* reduced = nullptr;  // the live taps' weights (forward, backward-data) or filter gradient (backward-filter)
  if (list.count) {
    reduced = threadScratch(kConvAccum).get<float>(g.cout * taps);
    if (!reduced) return false;
    if (pass == ConvPass::kBackwardFilter) std::memset(reduced, 0, g.cout * taps * sizeof(float));
    else forEachLiveWeight(g, list, [&](int64_t full, int64_t part) { reduced[part] = W[full]; });
  }
  if (pass == ConvPass::kBackwardData) std::memset(GX, 0, g.batch * g.cin * g.inPlane * sizeof(float));
  for (int64_t n0 = 0; n0 < g.batch; n0 += nbMax) {
    const int64_t nb = std::min(nbMax, g.batch - n0), ld = nb * P;
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* w = W ? (reduced ? reduced : W) + grp * g.coutG * taps : nullptr;
      // The per-image copies run over the pool (the GEMMs parallelise themselves).
      if (pass != ConvPass::kBackwardData) {
        parallelTasks(nb, [&](int64_t j, int) { im2col(g, X + ((n0 + j) * g.cin + grp * g.cinG) * g.inPlane, 0, P, col + j * P, ld, list); });
      }
      if (pass != ConvPass::kForward) {
        parallelTasks(nb, [&](int64_t j, int) { gatherPlanes(GY, g.cout, grp * g.coutG, g.coutG, P, n0 + j, block + j * P, ld); });
      }
      if (pass == ConvPass::kForward) {
        if (!sgemm(g.coutG, ld, taps, 1.0f, {w, taps, 1}, {col, ld, 1}, 0.0f, {block, ld, 1}, true)) return false;
        parallelTasks(nb, [&](int64_t j, int) {
          scatterPlanes(block + j * P, g.cout, grp * g.coutG, g.coutG, P, n0 + j, O, ld);
          addBias(O + ((n0 + j) * g.cout + grp * g.coutG) * P, g.coutG, P, bias.from(grp * g.coutG));
        });
      } else if (pass == ConvPass::kBackwardData) {
        if (!sgemm(taps, ld, g.coutG, 1.0f, {w, 1, taps}, {block, ld, 1}, 0.0f, {col, ld, 1}, true)) return false;
        parallelTasks(nb, [&](int64_t j, int) { col2im(g, col + j * P, 0, P, GX + ((n0 + j) * g.cin + grp * g.cinG) * g.inPlane, ld, list); });
      } else {
        float* gw = (reduced ? reduced : GW) + grp * g.coutG * taps;
        if (!sgemm(g.coutG, taps, ld, 1.0f, {block, ld, 1}, {col, 1, ld}, 1.0f, {gw, taps, 1}, true)) return false;
      }
    }
  }
  // The live taps' filter gradient into place (GW is zero elsewhere: the caller zeroed it).
  if (reduced && pass == ConvPass::kBackwardFilter) forEachLiveWeight(g, list, [&](int64_t full, int64_t part) { GW[full] = reduced[part]; });
  return true;
}

}  // namespace

bool batchedPlanesForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  return batchedPlanes(g, ConvPass::kForward, X, W, nullptr, O, nullptr, nullptr, bias);
}

bool batchedPlanesBackwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  return batchedPlanes(g, ConvPass::kBackwardData, nullptr, W, GY, nullptr, GX, nullptr);
}

bool batchedPlanesBackwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb) {
  std::memset(GW, 0, g.cout * g.taps * sizeof(float));
  if (gb.p) biasGradient(g, GY, gb);
  return batchedPlanes(g, ConvPass::kBackwardFilter, X, nullptr, GY, nullptr, nullptr, GW);
}

}  // namespace nabla::conv
