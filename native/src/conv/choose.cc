#include "choose.h"

#include <atomic>
#include <cstring>

#include "../kernels.h"
#include "depthwise.h"
#include "winograd.h"

namespace nabla::conv {

namespace {

// Thin layers: the direct kernels (no packing, the image read in place) beat the packed GEMM for
// few taps per output, and for few output channels as long as an image-group stays in cache
// (each block of channels re-reads it) — 1.2–1.6× on the course's CNNs for 6–16 output channels.
constexpr int64_t kDirectMaxTaps = 27;
constexpr int64_t kDirectMaxChannels = 16;
constexpr int64_t kDirectMaxImageBytes = 256 * 1024;

// Backward-filter's direct dot products along position runs (8 channels × 1 tap or 1 × 8) are as
// fast as the transposed-gy kernel up to 8 output channels and need no transposed copy of gy;
// past 8 the transposed kernel's taps × channels register tiles win (1.4× on the typical CNN's
// 8→16 and LeNet-5's 6→16 layers).
constexpr int64_t kFilterRowsMaxChannels = 8;

// Output planes with fewer positions than this run the batched-planes path (a tuning hook:
// setConvBatchedMaxPlane; the tests set 0 and ∞ to cover both paths). At 64 positions (8×8) the
// per-image implicit GEMM was already faster than the batched one on ResNet-18 (3.7 vs 4.9 ms).
std::atomic<int64_t> batchedMaxPlane{64};

// Winograd F(4×4, 3×3) pays for its transforms and its 4× larger filters (36 instead of 9 floats
// per channel pair, read once per chunk of tiles) with 4× fewer multiply-adds per tile; below
// this many 4×4 tiles over the batch the filters' memory traffic wins (ResNet's 7×7 and 14×14
// layers at batch 1: 4 and 16 tiles; measured break-even 40–48 tiles, 1 thread, AVX2).
constexpr int64_t kWinogradMinTiles = 48;

std::atomic<int> forced{-1};
std::atomic<int> lastChosenOf[3] = {{int(ConvAlgorithm::kCount)}, {int(ConvAlgorithm::kCount)}, {int(ConvAlgorithm::kCount)}};

int64_t winogradTiles(const Geometry& g) { return g.batch * ((g.out[1] + 3) / 4) * ((g.out[2] + 3) / 4); }

/** 1×1, unpadded, undilated, strided: each output reads one input value per channel. */
bool stridedPointwise(const Geometry& g) {
  for (int i = 0; i < 3; i++)
    if (g.k[i] != 1 || g.pad[i] != 0 || (g.out[i] - 1) * g.s[i] >= g.in[i]) return false;  // no output in the padding after
  return !g.strideOne();
}

bool winogradRuns(const Geometry& g, ConvPass pass) {
  if (pass == ConvPass::kBackwardFilter || !winogradFits(g)) return false;
  Geometry t;
  return pass == ConvPass::kForward || backwardDataAsForward(g, t);
}

const char* const kNames[] = {"batched-planes", "padded-direct", "padded-direct-gy-transposed", "padded-gemm", "row-direct", "pointwise",
                              "im2col", "winograd", "strided-pointwise", "depthwise"};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == int(ConvAlgorithm::kCount), "one name per algorithm");

bool directFits(const Geometry& g) {
  // Strided layers have only the row kernels, which win on the tap count alone.
  if (!g.strideOne()) return g.taps <= kDirectMaxTaps;
  const int64_t imageBytes = g.cinG * g.inPlane * 4;
  return g.taps <= kDirectMaxTaps || (g.coutG <= kDirectMaxChannels && imageBytes <= kDirectMaxImageBytes);
}

/**
 * Few positions per image (ResNet-18's 4×4, 2×2 and 1×1 planes on 32×32 inputs) make an
 * image-by-image GEMM a matrix-vector product that re-reads all of W per image; batching the
 * images turns them into one wide GEMM. Direct layers stay direct: they never pack W.
 */
bool batchedFits(const Geometry& g, bool direct) {
  return g.batch > 1 && g.outPlane < batchedMaxPlane.load(std::memory_order_relaxed) && !direct;
}

/** Wide stride-1 3×3 layers with enough tiles (forward and backward-data). */
bool winogradWins(const Geometry& g, ConvPass pass, bool direct) {
  return !direct && winogradRuns(g, pass) && winogradTiles(g) >= kWinogradMinTiles;
}

/** Backward-data as the forward convolution it is, on gy's tiles (the forward's, padded). */
bool winogradWinsBackwardData(const Geometry& g) {
  Geometry t;
  return winogradRuns(g, ConvPass::kBackwardData) && backwardDataAsForward(g, t) && winogradWins(t, ConvPass::kForward, directFits(t));
}

ConvAlgorithm chooseForward(const Geometry& g, bool direct) {
  // Stride 1: one padded copy per image, then every tap is a fixed offset — no column block,
  // which would hold each input value taps times. Except a wide 1×1 layer, whose image already
  // is the column matrix (thin 1×1 layers still go to the direct kernel).
  if (g.strideOne() && !(g.pointwise() && !direct)) return direct ? ConvAlgorithm::kPaddedDirect : ConvAlgorithm::kPaddedGemm;
  // Thin strided layers: the row kernels read the image in place.
  if (direct) return ConvAlgorithm::kRowDirect;
  if (g.pointwise()) return ConvAlgorithm::kPointwiseGemm;
  if (stridedPointwise(g)) return ConvAlgorithm::kStridedPointwiseGemm;
  return ConvAlgorithm::kIm2colGemm;
}

ConvAlgorithm chooseBackwardData(const Geometry& g, bool direct) {
  // Stride 1: the forward convolution of gy with flipped filters, so the padded kernels serve it.
  // Direct or not is decided on that transposed layer (its channel counts and image are gy's).
  // It needs padding d·(k−1) − pad ≥ 0 on each side, and a 1×1 layer is better off below.
  Geometry t;
  if (g.strideOne() && !g.pointwise() && backwardDataAsForward(g, t))
    return directFits(t) ? ConvAlgorithm::kPaddedDirect : ConvAlgorithm::kPaddedGemm;
  // Thin strided layers, and stride-1 ones padded wider than the kernel's reach.
  if (direct && !g.pointwise()) return ConvAlgorithm::kRowDirect;
  // 1×1: gx = wᵀ·gy, one GEMM per image, no col2im.
  if (g.pointwise()) return ConvAlgorithm::kPointwiseGemm;
  if (stridedPointwise(g)) return ConvAlgorithm::kStridedPointwiseGemm;
  return ConvAlgorithm::kIm2colGemm;
}

ConvAlgorithm chooseBackwardFilter(const Geometry& g, bool direct) {
  // Stride 1 (not 1×1): gy and the image in the padded numbering, every tap an offset, as forward.
  // (An image with an infinity or NaN is a run-time fallback of that path, not a choice here.)
  if (g.strideOne() && !g.pointwise()) {
    if (!direct) return ConvAlgorithm::kPaddedGemm;
    return g.coutG > kFilterRowsMaxChannels ? ConvAlgorithm::kPaddedDirectGyTransposed : ConvAlgorithm::kPaddedDirect;
  }
  if (direct && !g.pointwise()) return ConvAlgorithm::kRowDirect;
  // 1×1: gw = gy·xᵀ straight from the image.
  if (g.pointwise()) return ConvAlgorithm::kPointwiseGemm;
  if (stridedPointwise(g)) return ConvAlgorithm::kStridedPointwiseGemm;
  return ConvAlgorithm::kIm2colGemm;
}

/** The padded layout's condition: no padding beyond the kernel's reach (padded_layout.h). */
bool paddedReach(const Geometry& g) {
  for (int i = 0; i < 3; i++) {
    const int64_t span = g.d[i] * (g.k[i] - 1);
    if (g.pad[i] > span || g.out[i] + span - g.in[i] - g.pad[i] > span) return false;
  }
  return true;
}

/** Whether a forced algorithm runs this pass of g. */
bool canRun(ConvAlgorithm a, const Geometry& g, ConvPass pass) {
  switch (a) {
    case ConvAlgorithm::kWinograd: return winogradRuns(g, pass);
    case ConvAlgorithm::kPointwiseGemm: return g.pointwise();
    case ConvAlgorithm::kStridedPointwiseGemm: return stridedPointwise(g);
    case ConvAlgorithm::kDepthwise: return depthwiseFits(g);
    case ConvAlgorithm::kIm2colGemm: return true;
    case ConvAlgorithm::kPaddedGemm: return pass == ConvPass::kForward && g.strideOne() && paddedReach(g);
    case ConvAlgorithm::kBatchedPlanes: return g.batch > 1 && !directFits(g);
    default: return false;
  }
}

ConvAlgorithm chooseByShape(const Geometry& g, ConvPass pass) {
  // Strided depthwise layers: one plane per channel, nothing for a GEMM to share; the plane
  // kernels beat the row-direct ones 1.14–1.27× (1 thread; MobileNet-like 3×3/2 at 112² and 56²).
  // Stride-1 ones stay on the padded direct kernels' register tiles, 1.4–3× faster there than
  // these row loops (short rows: 14² planes 0.26 against 0.84 ms for 512 channels).
  if (depthwiseFits(g) && !g.strideOne()) return ConvAlgorithm::kDepthwise;
  const bool direct = directFits(g);
  // Winograd before the batched planes: at 64 tiles (ResNet's 7×7 layers at batch 16) it was
  // 1.26× faster than them (1 thread, AVX2); at 32 the batched planes were 1.5× faster.
  if (pass == ConvPass::kForward && winogradWins(g, pass, direct)) return ConvAlgorithm::kWinograd;
  if (pass == ConvPass::kBackwardData && winogradWinsBackwardData(g)) return ConvAlgorithm::kWinograd;
  if (batchedFits(g, direct)) return ConvAlgorithm::kBatchedPlanes;
  switch (pass) {
    case ConvPass::kForward: return chooseForward(g, direct);
    case ConvPass::kBackwardData: return chooseBackwardData(g, direct);
    case ConvPass::kBackwardFilter: break;
  }
  return chooseBackwardFilter(g, direct);
}

}  // namespace

ConvAlgorithm choose(const Geometry& g, ConvPass pass) {
  ConvAlgorithm a = chooseByShape(g, pass);
  const int f = forced.load(std::memory_order_relaxed);
  if (f >= 0 && canRun(static_cast<ConvAlgorithm>(f), g, pass)) a = static_cast<ConvAlgorithm>(f);
  lastChosenOf[int(pass)].store(int(a), std::memory_order_relaxed);
  return a;
}

const char* algorithmName(ConvAlgorithm a) { return a < ConvAlgorithm::kCount ? kNames[int(a)] : ""; }

bool forceConvAlgorithm(const char* name) {
  if (!name || !*name) {
    forced.store(-1);
    return true;
  }
  for (const ConvAlgorithm a : {ConvAlgorithm::kWinograd, ConvAlgorithm::kPointwiseGemm, ConvAlgorithm::kStridedPointwiseGemm,
                                ConvAlgorithm::kDepthwise, ConvAlgorithm::kIm2colGemm, ConvAlgorithm::kPaddedGemm,
                                ConvAlgorithm::kBatchedPlanes}) {
    if (std::strcmp(name, kNames[int(a)]) == 0) {
      forced.store(int(a));
      return true;
    }
  }
  return false;
}

const char* forcedConvAlgorithm() {
  const int f = forced.load();
  return f >= 0 ? kNames[f] : "";
}

ConvAlgorithm lastChosen(ConvPass pass) { return static_cast<ConvAlgorithm>(lastChosenOf[int(pass)].load(std::memory_order_relaxed)); }

}  // namespace nabla::conv

namespace nabla {

int64_t setConvBatchedMaxPlane(int64_t n) { return conv::batchedMaxPlane.exchange(n); }

}  // namespace nabla
