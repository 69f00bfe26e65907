// The AVX2/FMA build of the stride-1 direct convolution kernels (see direct_kernels.inc): the same
// source compiled through target attributes, with multiply-adds fused. Used only when the CPU
// has AVX2 and FMA.

#include "direct_kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#if defined(__clang__)
#pragma clang fp contract(fast)
#else
#pragma GCC optimize("fp-contract=fast")
#endif

#define NABLA_TARGET __attribute__((target("avx2,fma")))
#define NABLA_NAME(name) name##Avx2
#include "direct_kernels.inc"

namespace nabla {
const DirectKernels* directKernelsAvx2() {
  static const DirectKernels k = {directForwardPaddedAvx2, directFilterRowsAvx2, directFilterTransposedAvx2};
  return &k;
}
}  // namespace nabla

#else

namespace nabla {
const DirectKernels* directKernelsAvx2() { return nullptr; }
}  // namespace nabla

#endif
