// Stride-1 direct convolution kernels on a padded image (direct_kernels.inc; used by padded.cc),
// in a portable and an AVX2/FMA build; directKernels() picks one at run time from activeIsa()
// (cpu_features.h), so forcing a level selects these too.

#pragma once

#include <cstdint>

namespace nabla {

struct DirectKernels {
  void (*forward)(int64_t blocks, const int64_t* blockStart, int64_t taps, const int64_t* off, const float* wpk, const float* xp, int64_t Lr,
                  float* yp);
  void (*filterRows)(int64_t coutG, int64_t taps, const int64_t* off, const float* gyp, int64_t Lr, const float* xp, float* gw, int64_t ldw);
  void (*filterTransposed)(int64_t coutG, int64_t taps, const int64_t* off, const float* gyT, int64_t CP, int64_t L, const float* xp,
                           float* gw, int64_t ldw);
};

void directForwardPaddedGeneric(int64_t, const int64_t*, int64_t, const int64_t*, const float*, const float*, int64_t, float*);
void directFilterRowsGeneric(int64_t, int64_t, const int64_t*, const float*, int64_t, const float*, float*, int64_t);
void directFilterTransposedGeneric(int64_t, int64_t, const int64_t*, const float*, int64_t, int64_t, const float*, float*, int64_t);
/** Null where the addon has no AVX2 build of them. */
const DirectKernels* directKernelsAvx2();

/** The kernels for this CPU. */
DirectKernels directKernels();

}  // namespace nabla
