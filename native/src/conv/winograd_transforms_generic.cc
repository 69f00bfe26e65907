// The portable build of the Winograd transforms (see winograd_transforms.inc).

#include "winograd_transforms.h"
#include "../cpu_features.h"

#define NABLA_TARGET
#define NABLA_NAME(name) name##Generic
#include "winograd_transforms.inc"

namespace nabla::conv {

WinogradTransforms winogradTransformsGeneric() { return {winogradFiltersGeneric, winogradBlockGeneric, winogradInputsGeneric, winogradOutputsGeneric}; }

WinogradTransforms winogradTransforms() {
  if (activeIsa() >= Isa::avx2) {  // the CPU has AVX2/FMA and portable kernels are not forced (AVX-512 CPUs run these too)
    const WinogradTransforms* t = winogradTransformsAvx2();
    if (t) return *t;
  }
  return winogradTransformsGeneric();
}

}  // namespace nabla::conv
