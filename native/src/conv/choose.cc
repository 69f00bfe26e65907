#include "choose.h"

#include <atomic>

#include "../kernels.h"

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

ConvAlgorithm chooseForward(const Geometry& g, bool direct) {
  // Stride 1: one padded copy per image, then every tap is a fixed offset — no column block,
  // which would hold each input value taps times. Except a wide 1×1 layer, whose image already
  // is the column matrix (thin 1×1 layers still go to the direct kernel).
  if (g.strideOne() && !(g.pointwise() && !direct)) return direct ? ConvAlgorithm::kPaddedDirect : ConvAlgorithm::kPaddedGemm;
  // Thin strided layers: the row kernels read the image in place.
  if (direct) return ConvAlgorithm::kRowDirect;
  if (g.pointwise()) return ConvAlgorithm::kPointwiseGemm;
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
  return ConvAlgorithm::kIm2colGemm;
}

}  // namespace

ConvAlgorithm choose(const Geometry& g, ConvPass pass) {
  const bool direct = directFits(g);
  if (batchedFits(g, direct)) return ConvAlgorithm::kBatchedPlanes;
  switch (pass) {
    case ConvPass::kForward: return chooseForward(g, direct);
    case ConvPass::kBackwardData: return chooseBackwardData(g, direct);
    case ConvPass::kBackwardFilter: break;
  }
  return chooseBackwardFilter(g, direct);
}

}  // namespace nabla::conv

namespace nabla {

int64_t setConvBatchedMaxPlane(int64_t n) { return conv::batchedMaxPlane.exchange(n); }

}  // namespace nabla
