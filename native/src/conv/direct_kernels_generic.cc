// The portable build of the stride-1 direct convolution kernels (see direct_kernels.inc).

#include "direct_kernels.h"
#include "../gemm.h"

#define NABLA_TARGET
#define NABLA_NAME(name) name##Generic
#include "direct_kernels.inc"

namespace nabla {

DirectKernels directKernels() {
  if (gemmKernelName()[0] == 'a') {  // "avx2-fma": the CPU has it and portable kernels are not forced
    const DirectKernels* k = directKernelsAvx2();
    if (k) return *k;
  }
  return {directForwardPaddedGeneric, directFilterRowsGeneric, directFilterTransposedGeneric};
}

}  // namespace nabla
