#include "winograd.h"

#include <algorithm>
#include <atomic>

#include "../gemm.h"
#include "../scratch.h"
#include "../threadpool.h"
#include "im2col_gemm.h"
#include "padded.h"
#include "winograd_transforms.h"

namespace nabla::conv {

namespace {

/** Transformed input and GEMM result of one chunk of tiles together stay about this size. */
constexpr int64_t kChunkBytes = int64_t(8) << 20;

int64_t roundUp(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

}  // namespace

bool winogradFits(const Geometry& g) {
  return g.groups == 1 && g.in[0] == 1 && g.k[0] == 1 && g.k[1] == 3 && g.k[2] == 3 && g.strideOne() && g.d[1] == 1 && g.d[2] == 1;
}

bool winogradForward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  constexpr int64_t kXi = kWinogradXi, kL = kWinogradLanes;
  const int64_t Ho = g.out[1], Wo = g.out[2], tilesX = (Wo + 3) / 4, tilesY = (Ho + 3) / 4, perImage = tilesX * tilesY;
  const int64_t total = g.batch * perImage;
  WinogradLayout lay;
  lay.Hp = 4 * tilesY + 2;
  lay.Wp = 4 * tilesX + 2;
  lay.cinBlocks = (g.cin + kL - 1) / kL;
  lay.cinP = lay.cinBlocks * kL;
  lay.coutP = roundUp(g.cout, kL);
  // Tiles per chunk: as many as keep V and M near kChunkBytes, at least 64 so the transformed
  // filters are re-read for enough rows; whole images when an image has fewer (their blocked
  // copies made once per chunk), else ranges of one image's tiles (its copy made once).
  int64_t chunk = std::max<int64_t>(64, kChunkBytes / (kXi * 4 * (lay.cinP + lay.coutP)) / 16 * 16);
  const int64_t imagesPerChunk = std::max<int64_t>(1, chunk / perImage);
  if (perImage <= chunk) chunk = imagesPerChunk * perImage;
  chunk = std::min(chunk, total);
  lay.xiStrideV = chunk * lay.cinP;
  lay.xiStrideM = chunk * lay.coutP;
  const int64_t blockFloats = lay.Hp * lay.Wp * kL, vFloats = kXi * lay.xiStrideV;
  float* U = threadScratch(kConvAccum).get<float>(kXi * g.cin * g.cout);
  float* V = threadScratch(kColumns).get<float>(vFloats + chunk * int64_t(sizeof(WinogradTile) / sizeof(float)));  // V, then the tile table
  float* M = threadScratch(kConvResult).get<float>(kXi * lay.xiStrideM);
  float* Xb = threadScratch(kConvPadded).get<float>(std::min(imagesPerChunk, g.batch) * lay.cinBlocks * blockFloats);
  if (!U || !V || !M || !Xb) return false;
  WinogradTile* at = reinterpret_cast<WinogradTile*>(V + vFloats);
  const WinogradTransforms tf = winogradTransforms();
  std::atomic<bool> finite{true};
  parallelRanges((g.cout + kL - 1) / kL, 1, [&](int64_t b0, int64_t b1, int) {
    if (!tf.filters(g, W, U, b0, b1)) finite = false;
  });
  if (!finite) return im2colGemmForward(g, X, W, O, bias);
  std::atomic<bool> ok{true};
  int64_t blockedFirst = -1;  // the first image in Xb
  for (int64_t first = 0, len; first < total; first += len) {
    len = std::min(chunk, total - first);
    if (perImage > chunk) len = std::min(len, perImage - first % perImage);  // never two images' tiles: Xb holds one
    const int64_t n0 = first / perImage, images = (first + len - 1) / perImage - n0 + 1;
    if (n0 != blockedFirst) {
      parallelRanges(images * lay.cinBlocks, 1, [&](int64_t b0, int64_t b1, int) {
        if (!tf.block(g, lay, X, n0, Xb, b0, b1)) finite = false;
      });
      if (!finite) return im2colGemmForward(g, X, W, O, bias);  // rewrites every output, the chunks done too
      blockedFirst = n0;
    }
    for (int64_t j = 0; j < len; j++) {
      const int64_t tile = first + j, n = tile / perImage, r = tile % perImage, oy0 = r / tilesX * 4, ox0 = r % tilesX * 4;
      at[j].in = (((n - n0) * lay.cinBlocks * lay.Hp + oy0) * lay.Wp + ox0) * kL;
      at[j].out = n * g.cout * g.outPlane + oy0 * Wo + ox0;
      at[j].rows = static_cast<int32_t>(std::min<int64_t>(4, Ho - oy0));
      at[j].cols = static_cast<int32_t>(std::min<int64_t>(4, Wo - ox0));
    }
    parallelRanges(len, 8, [&](int64_t j0, int64_t j1, int) { tf.inputs(lay, at, Xb, V, j0, j1); });
    // The 36 products are independent: one per task, each GEMM on its own thread.
    parallelTasks(kXi, [&](int64_t xi, int) {
      if (!sgemm(len, g.cout, g.cin, 1.0f, {V + xi * lay.xiStrideV, lay.cinP, 1}, {U + xi * g.cin * g.cout, g.cout, 1}, 0.0f,
                 {M + xi * lay.xiStrideM, lay.coutP, 1}, false))
        ok = false;
    });
    parallelRanges(len, 8, [&](int64_t j0, int64_t j1, int) { tf.outputs(g, lay, at, M, O, bias, j0, j1); });
  }
  return ok;
}

bool winogradBackwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  Geometry t;
  if (!backwardDataAsForward(g, t)) return false;  // choose() only picks this path when it holds
  float* w2 = threadScratch(kStaging).get<float>(t.cout * t.taps);
  if (!w2) return false;
  flipFilters(g, t, W, w2);
  return winogradForward(t, GY, w2, GX, {});
}

}  // namespace nabla::conv
