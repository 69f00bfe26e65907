# node-gyp build of nabla's native backend (native/src). Plain Node-API (node_api.h), no
# dependencies beyond a C++17 compiler and make. The AVX2/FMA and AVX-512 kernels are compiled through
# target attributes inside their own files (gemm_kernel_avx2.cc, gemm_kernel_avx512.cc, ...), so no
# -march flag is needed and the addon runs on any x86-64 (or other) CPU; cpu_features.cc picks the
# level at run time. NABLA_NATIVE_SANITIZE=address (scripts/asan-native.sh) builds with
# AddressSanitizer; scripts/emulated-avx512.sh passes CXXFLAGS=-DNABLA_EMULATE_AVX512, which compiles
# the AVX-512 GEMM kernel against SIMDe's portable intrinsics, to test it on CPUs without AVX-512.
{
  "variables": {
    "nabla_sanitize%": "<!(node -p \"process.env.NABLA_NATIVE_SANITIZE || ''\")"
  },
  "targets": [
    {
      "target_name": "nabla_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/checks.cc",
        "native/src/threadpool.cc",
        "native/src/cpu_features.cc",
        "native/src/gemm.cc",
        "native/src/gemm_kernel_generic.cc",
        "native/src/gemm_kernel_avx2.cc",
        "native/src/gemm_kernel_avx512.cc",
        "native/src/matmul.cc",
        "native/src/conv/geometry.cc",
        "native/src/conv/padded_layout.cc",
        "native/src/conv/columns.cc",
        "native/src/conv/bias.cc",
        "native/src/conv/choose.cc",
        "native/src/conv/row_direct.cc",
        "native/src/conv/padded.cc",
        "native/src/conv/direct_kernels_generic.cc",
        "native/src/conv/direct_kernels_avx2.cc",
        "native/src/conv/im2col_gemm.cc",
        "native/src/conv/batched_planes.cc",
        "native/src/conv/winograd.cc",
        "native/src/conv/winograd_transforms_generic.cc",
        "native/src/conv/winograd_transforms_avx2.cc",
        "native/src/conv/depthwise.cc",
        "native/src/conv/entries.cc",
        "native/src/pool.cc",
        "native/src/pool2x2.cc",
        "native/src/vmath_avx2.cc",
        "native/src/elementwise.cc",
        "native/src/reduce.cc",
        "native/src/argreduce.cc",
        "native/src/indexing.cc",
        "native/src/softmax.cc",
        "native/src/norm.cc",
        "native/src/random.cc",
        "native/src/optim.cc",
        "native/src/cross_entropy.cc",
        "native/src/recurrent.cc",
        "native/src/detection.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc!": ["-std=gnu++17", "-O2"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-Wno-unused-function", "-Wno-psabi"],
      "cflags!": ["-O2"],
      "cflags": ["-O3"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["nabla_sanitize=='address'", {
          "cflags": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
          "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
          "ldflags": ["-fsanitize=address"]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "OTHER_CPLUSPLUSFLAGS": ["-fno-math-errno"]
          }
        }]
      ]
    }
  ]
}
