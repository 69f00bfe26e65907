// The transforms of Winograd F(4×4, 3×3) (winograd.h), eight channels at a time (the innermost
// loop of each, so it vectorises), in a portable and an AVX2/FMA build (winograd_transforms.inc);
// winogradTransforms() picks one at run time, following the GEMM's choice (forceGenericGemm(true)
// selects the portable ones too). Each works on a range so winograd.cc can spread them over the
// pool.
//
// Layouts (kWinogradLanes = 8 channels per block, channel counts rounded up to blocks: cinP, coutP):
//   Xb  images in channel blocks, zero-padded to the tiles' reach: [image][cin block][Hp][Wp][8]
//   U   transformed filters [ξ][ci][co] (each ξ a Cin × Cout matrix)
//   V   transformed input tiles [ξ][tile][cinP] (each ξ a tiles × Cin matrix)
//   M   the products V[ξ]·U[ξ]: [ξ][tile][coutP]

#pragma once

#include <cstdint>

#include "bias.h"
#include "geometry.h"

namespace nabla::conv {

constexpr int kWinogradLanes = 8;
constexpr int kWinogradXi = 36;  // transformed positions per tile (6×6)

/** The sizes the transforms share. */
struct WinogradLayout {
  int64_t Hp = 0, Wp = 0;           // the blocked images' padded extents (4·tile rows + 2, 4·tile columns + 2)
  int64_t cinBlocks = 0, cinP = 0;  // input channel blocks, and cin rounded up to them
  int64_t coutP = 0;                // cout rounded up to blocks (M's row length)
  int64_t xiStrideV = 0, xiStrideM = 0;  // floats between V's (M's) ξ matrices
};

/** One tile of a chunk: its 6×6 patch's first float in Xb (channel block 0), its 4×4 block's first output in O (channel 0), and that block's extent. */
struct WinogradTile {
  int64_t in, out;
  int32_t rows, cols;
};

struct WinogradTransforms {
  /** U[ξ][ci][co] = (G·w[co, ci]·Gᵀ)[ξ] for the output channel blocks [b0, b1) (W is [Cout][Cin][3][3]); false when a weight is ±∞ or NaN. */
  bool (*filters)(const Geometry& g, const float* W, float* U, int64_t b0, int64_t b1);
  /** Xb's blocks [b0, b1) (numbered image-major) from images first… of X (a batch's [N][Cin][H][W]); false when a value is ±∞ or NaN. */
  bool (*block)(const Geometry& g, const WinogradLayout& lay, const float* X, int64_t firstImage, float* Xb, int64_t b0, int64_t b1);
  /** V[ξ][j] for the chunk's tiles j ∈ [j0, j1) (every channel block). */
  void (*inputs)(const WinogradLayout& lay, const WinogradTile* at, const float* Xb, float* V, int64_t j0, int64_t j1);
  /** O's 4×4 blocks (+ bias) of the chunk's tiles j ∈ [j0, j1) from M, every output channel. */
  void (*outputs)(const Geometry& g, const WinogradLayout& lay, const WinogradTile* at, const float* M, float* O, const Bias& bias, int64_t j0,
                  int64_t j1);
};

WinogradTransforms winogradTransformsGeneric();
/** Null where the addon has no AVX2 build of them. */
const WinogradTransforms* winogradTransformsAvx2();
/** The transforms for this CPU. */
WinogradTransforms winogradTransforms();

}  // namespace nabla::conv
