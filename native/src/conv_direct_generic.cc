// The portable build of the stride-1 direct convolution kernels (see conv_direct.inc).

#include "conv_direct.h"
#include "gemm.h"

#define NABLA_TARGET
#define NABLA_NAME(name) name##Generic
#include "conv_direct.inc"

namespace nabla {

DirectKernels directKernels() {
  if (gemmKernelName()[0] == 'a') {  // "avx2-fma": the CPU has it and portable kernels are not forced
    const DirectKernels* k = directKernelsAvx2();
    if (k) return *k;
  }
  return {directForwardPaddedGeneric, directFilterRowsGeneric, directFilterTransposedGeneric};
}

}  // namespace nabla
