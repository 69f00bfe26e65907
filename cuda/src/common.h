// Types and error handling shared by every file of the CUDA addon, host and device code alike.
// Nothing here includes node_api.h or a CUDA library header beyond the runtime, so the kernels
// (*.cu) compile with nvcc alone.

#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace nabla_cuda {

/** Element types, numbered as the TypeScript side numbers them (src/backend/native/codes.ts). */
enum DType : int { kFloat32 = 0, kFloat64 = 1, kInt32 = 2, kBool = 3 };

constexpr int kMaxDims = 16;

__host__ __device__ inline int itemSize(int dtype) { return dtype == kFloat64 ? 8 : dtype == kBool ? 1 : 4; }

inline const char* dtypeName(int d) {
  switch (d) {
    case kFloat32: return "float32";
    case kFloat64: return "float64";
    case kInt32: return "int32";
    case kBool: return "bool";
  }
  return "?";
}

/** What kind of failure an Error is; the JavaScript error carries it as `code`. */
enum class ErrorKind { kArgument, kCuda, kOutOfMemory, kDevice };

/** A failure inside the addon; entry points turn it into a JavaScript Error (see args.h). */
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

/** "an illegal memory access was encountered (cudaErrorIllegalAddress)" */
inline std::string cudaStatusText(cudaError_t e) {
  return std::string(cudaGetErrorString(e)) + " (" + cudaGetErrorName(e) + ")";
}

/** Throw an Error naming the CUDA runtime call and its status when `e` is not cudaSuccess. */
inline void checkCuda(cudaError_t e, const char* call) {
  if (e != cudaSuccess) throw Error(ErrorKind::kCuda, std::string(call) + " failed: " + cudaStatusText(e));
}

/** After a kernel launch: a bad launch configuration is reported at once, naming the kernel. */
inline void checkLaunch(const char* kernel) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw Error(ErrorKind::kCuda, std::string(kernel) + ": kernel launch failed: " + cudaStatusText(e));
}

}  // namespace nabla_cuda
