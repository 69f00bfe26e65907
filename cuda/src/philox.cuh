// Philox4x32-10 (Salmon et al. 2011), as src/backend/cpu/philox.ts computes it: ten rounds of
// two 32×32→64-bit multiplies, the key bumped by the Weyl constants after each round. Host and
// device code, so the host check (cuda/check/host_check.cu) can compare it with the cpu backend.

#pragma once

#include <cstdint>

namespace nabla_cuda {

constexpr uint32_t kPhiloxM0 = 0xd2511f53u, kPhiloxM1 = 0xcd9e8d57u, kPhiloxW0 = 0x9e3779b9u, kPhiloxW1 = 0xbb67ae85u;

/** High 32 bits of a 32×32-bit product. */
__host__ __device__ __forceinline__ uint32_t mulhi32(uint32_t a, uint32_t b) {
#ifdef __CUDA_ARCH__
  return __umulhi(a, b);
#else
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
#endif
}

/** One Philox4x32-10 block of counter (c0, c1, c2, c3) under key (k0, k1): four words into out. */
__host__ __device__ __forceinline__ void philox4x32(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1, uint32_t* out) {
#pragma unroll
  for (int r = 0; r < 10; r++) {
    const uint32_t hi0 = mulhi32(kPhiloxM0, c0), lo0 = kPhiloxM0 * c0;
    const uint32_t hi1 = mulhi32(kPhiloxM1, c2), lo1 = kPhiloxM1 * c2;
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

}  // namespace nabla_cuda
