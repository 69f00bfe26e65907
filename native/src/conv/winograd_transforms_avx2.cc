// The AVX2/FMA build of the Winograd transforms (see winograd_transforms.inc): the same source
// compiled through target attributes, eight lanes per instruction. Used only when the CPU has
// AVX2 and FMA.

#include "winograd_transforms.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#define NABLA_TARGET __attribute__((target("avx2,fma")))
#define NABLA_NAME(name) name##Avx2
#include "winograd_transforms.inc"

namespace nabla::conv {
const WinogradTransforms* winogradTransformsAvx2() {
  static const WinogradTransforms t = {winogradFiltersAvx2, winogradBlockAvx2, winogradInputsAvx2, winogradOutputsAvx2};
  return &t;
}
}  // namespace nabla::conv

#else

namespace nabla::conv {
const WinogradTransforms* winogradTransformsAvx2() { return nullptr; }
}  // namespace nabla::conv

#endif
