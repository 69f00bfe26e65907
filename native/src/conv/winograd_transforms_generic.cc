// The portable build of the Winograd transforms (see winograd_transforms.inc).

#include "winograd_transforms.h"
#include "../gemm.h"

#define NABLA_TARGET
#define NABLA_NAME(name) name##Generic
#include "winograd_transforms.inc"

namespace nabla::conv {

WinogradTransforms winogradTransformsGeneric() { return {winogradFiltersGeneric, winogradBlockGeneric, winogradInputsGeneric, winogradOutputsGeneric}; }

WinogradTransforms winogradTransforms() {
  if (gemmKernelName()[0] == 'a') {  // "avx2-fma": the CPU has it and portable kernels are not forced
    const WinogradTransforms* t = winogradTransformsAvx2();
    if (t) return *t;
  }
  return winogradTransformsGeneric();
}

}  // namespace nabla::conv
