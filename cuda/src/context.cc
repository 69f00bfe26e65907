#include "context.h"

#include <cstdlib>
#include <string>

namespace nabla_cuda {

namespace {

struct Context {
  bool ready = false;
  int device = 0;
  cudaStream_t stream = nullptr;
  DeviceErrorRecord* errors = nullptr;
  cudaDeviceProp props{};
  bool tf32 = false;
};

Context& ctx() {
  static Context c;
  return c;
}

const char* kCheckNames[] = {"?", "indexSelect", "indexAdd", "gather", "scatterAdd", "maxPoolBackward", "crossEntropy"};

}  // namespace

DeviceInfo probeDevices() {
  DeviceInfo info;
  cudaRuntimeGetVersion(&info.runtimeVersion);
  cudaDriverGetVersion(&info.driverVersion);
  cudaError_t e = cudaGetDeviceCount(&info.count);
  if (e != cudaSuccess) {
    info.count = 0;
    info.countError = "cudaGetDeviceCount failed: " + cudaStatusText(e);
    cudaGetLastError();  // not sticky: clear it so later calls do not report it again
  }
  return info;
}

void ensureInit() {
  Context& c = ctx();
  if (c.ready) return;
  DeviceInfo info = probeDevices();
  if (info.count == 0) {
    throw Error(ErrorKind::kDevice, info.countError.empty() ? "no CUDA device is visible (cudaGetDeviceCount returned 0)" : info.countError);
  }
  const char* pick = std::getenv("NABLA_CUDA_DEVICE");
  c.device = pick ? std::atoi(pick) : 0;
  if (c.device < 0 || c.device >= info.count) {
    throw Error(ErrorKind::kDevice, "NABLA_CUDA_DEVICE=" + std::string(pick ? pick : "") + " names no device (" + std::to_string(info.count) + " visible)");
  }
  checkCuda(cudaSetDevice(c.device), "cudaSetDevice");
  checkCuda(cudaGetDeviceProperties(&c.props, c.device), "cudaGetDeviceProperties");
  checkCuda(cudaStreamCreateWithFlags(&c.stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  checkCuda(cudaMalloc(&c.errors, sizeof(DeviceErrorRecord)), "cudaMalloc (error record)");
  checkCuda(cudaMemsetAsync(c.errors, 0, sizeof(DeviceErrorRecord), c.stream), "cudaMemsetAsync");
  checkCuda(cudaStreamSynchronize(c.stream), "cudaStreamSynchronize");
  c.ready = true;
}

bool initialized() { return ctx().ready; }

cudaStream_t stream() {
  ensureInit();
  return ctx().stream;
}

DeviceErrorRecord* deviceErrors() {
  ensureInit();
  return ctx().errors;
}

int smCount() {
  ensureInit();
  return ctx().props.multiProcessorCount;
}

const cudaDeviceProp& deviceProps() {
  ensureInit();
  return ctx().props;
}

void synchronize(const char* who) {
  Context& c = ctx();
  if (!c.ready) return;
  cudaError_t e = cudaStreamSynchronize(c.stream);
  if (e != cudaSuccess) {
    throw Error(ErrorKind::kCuda, std::string(who) + ": a queued CUDA operation failed: " + cudaStatusText(e) +
                                      " (errors such as illegal addresses leave the CUDA context unusable: restart the process)");
  }
  DeviceErrorRecord rec{};
  checkCuda(cudaMemcpy(&rec, c.errors, sizeof rec, cudaMemcpyDeviceToHost), "cudaMemcpy (error record)");
  if (rec.kernel == 0) return;
  // On our stream: a plain cudaMemset runs on the legacy default stream, which a non-blocking
  // stream does not wait for, so a later kernel's report could be wiped by it.
  checkCuda(cudaMemsetAsync(c.errors, 0, sizeof rec, c.stream), "cudaMemsetAsync (error record)");
  const int k = rec.kernel;
  const char* name = k > 0 && k < static_cast<int>(sizeof kCheckNames / sizeof kCheckNames[0]) ? kCheckNames[k] : "?";
  std::string what;
  if (static_cast<DeviceCheck>(k) == DeviceCheck::kMaxPoolBackward) {
    what = "index " + std::to_string(rec.value) + " is outside a plane of " + std::to_string(rec.size) + " elements";
  } else if (static_cast<DeviceCheck>(k) == DeviceCheck::kCrossEntropy) {
    what = "target " + std::to_string(rec.value) + " is out of range for " + std::to_string(rec.size) + " classes";
  } else {
    what = "index " + std::to_string(rec.value) + " is out of range for dimension " + std::to_string(rec.axis) + " of size " + std::to_string(rec.size);
  }
  throw Error(ErrorKind::kArgument, std::string(name) + ": " + what +
                                        " (found on the device by an earlier call and reported at " + who + "; the elements it named were skipped)");
}

bool tf32Allowed() { return ctx().tf32; }
void setTf32Allowed(bool allowed) { ctx().tf32 = allowed; }

}  // namespace nabla_cuda
