// The portable build of the stride-1 direct convolution kernels (see direct_kernels.inc).

#include "direct_kernels.h"
#include "../cpu_features.h"

#define NABLA_TARGET
#define NABLA_NAME(name) name##Generic
#include "direct_kernels.inc"

namespace nabla {

DirectKernels directKernels() {
  if (activeIsa() >= Isa::avx2) {  // the CPU has AVX2/FMA and portable kernels are not forced
    const DirectKernels* k = directKernelsAvx2();
    if (k) return *k;
  }
  return {directForwardPaddedGeneric, directFilterRowsGeneric, directFilterTransposedGeneric};
}

}  // namespace nabla
