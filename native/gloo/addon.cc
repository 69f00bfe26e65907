// nabla_gloo: Node-API binding of Debian's libgloo (TCP transport) for src/distributed.
// One process group per process. Every collective runs on the group's worker thread in the order
// it was submitted (work_queue.h) and settles a promise, or, with blocking = true, returns when done.
// Arrays are validated (type, length) before any pointer is handed to gloo, and referenced until
// the work completes. reduceScatter is Gloo's ReduceScatterHalvingDoubling (recursive halving,
// uneven counts per rank).
#include <node_api.h>

#include <chrono>
#include <cstring>
#include <cstdint>
#include <stdexcept>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/config.h>
#include <gloo/math.h>
#include <gloo/reduce_scatter.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>

#include "tcp_store.h"
#include "work_queue.h"

namespace {

// The collectives' timeout, set by init; read and written on the worker thread only.
std::chrono::milliseconds g_timeout(30000);

#define NAPI_OK(call)                                   \
  do {                                                  \
    if ((call) != napi_ok) {                            \
      napi_throw_error(env, nullptr, "nabla_gloo: " #call " failed"); \
      return nullptr;                                   \
    }                                                   \
  } while (0)

napi_value throwError(napi_env env, const std::string& msg) {
  napi_throw_error(env, nullptr, msg.c_str());
  return nullptr;
}

bool getString(napi_env env, napi_value v, std::string& out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  std::string s(len, '\0');
  if (napi_get_value_string_utf8(env, v, s.data(), len + 1, &len) != napi_ok) return false;
  out = s;
  return true;
}

bool getInt(napi_env env, napi_value v, int64_t& out) {
  return napi_get_value_int64(env, v, &out) == napi_ok;
}

// A typed array's memory, checked to be float32 or int32.
struct ArrayView {
  napi_typedarray_type type;
  void* data = nullptr;
  size_t length = 0;
};

bool getArray(napi_env env, napi_value v, ArrayView& out, std::string& why) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) {
    why = "expected a Float32Array or Int32Array";
    return false;
  }
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &out.type, &out.length, &out.data, &buffer, &offset) != napi_ok) {
    why = "could not read the typed array";
    return false;
  }
  if (out.type != napi_float32_array && out.type != napi_int32_array) {
    why = "expected a Float32Array or Int32Array";
    return false;
  }
  return true;
}

using nabla_gloo::Job;
using nabla_gloo::WorkQueue;

// The last argument of every collective: true runs it blocking (the *Sync forms), else a promise.
bool isBlocking(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

napi_value submit(napi_env env, std::unique_ptr<Job> job, bool blocking, const std::vector<napi_value>& hold) {
  auto* q = WorkQueue::get();
  return blocking ? q->submitAndWait(env, std::move(job)) : q->submit(env, std::move(job), hold);
}

// The joined group's size, or a thrown error naming op when there is none.
int requireGroup(napi_env env, const char* op) {
  int size = WorkQueue::get()->worldSize();
  if (size == 0) throwError(env, std::string("distributed.") + op + ": no process group; call initProcessGroup first");
  return size;
}

// init(rank, worldSize, storeKind "tcp"|"file", addrOrPath, port, timeoutMs, hostname) -> Promise
napi_value Init(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 7) return throwError(env, "nabla_gloo.init: expected 7 arguments");
  int64_t rank, size, port, timeoutMs;
  std::string kind, where, hostname;
  if (!getInt(env, argv[0], rank) || !getInt(env, argv[1], size) || !getString(env, argv[2], kind) ||
      !getString(env, argv[3], where) || !getInt(env, argv[4], port) || !getInt(env, argv[5], timeoutMs) ||
      !getString(env, argv[6], hostname)) {
    return throwError(env, "nabla_gloo.init: bad argument types");
  }
  if (size < 1 || rank < 0 || rank >= size) return throwError(env, "nabla_gloo.init: rank " + std::to_string(rank) + " outside world size " + std::to_string(size));
  if (timeoutMs < 1) return throwError(env, "nabla_gloo.init: timeout must be positive");
  if (kind != "tcp" && kind != "file") return throwError(env, "nabla_gloo.init: store kind must be tcp or file");
  if (WorkQueue::get()->worldSize() != 0) return throwError(env, "distributed.initProcessGroup: a process group already exists; call destroyProcessGroup first");
  auto job = std::make_unique<Job>();
  job->name = "initProcessGroup";
  job->control = true;
  auto timeout = std::chrono::milliseconds(timeoutMs);
  job->run = [=](std::shared_ptr<gloo::Context>& slot) {
    gloo::transport::tcp::attr attr;
    attr.hostname = hostname;
    auto device = gloo::transport::tcp::CreateDevice(attr);
    auto context = std::make_shared<gloo::rendezvous::Context>(static_cast<int>(rank), static_cast<int>(size));
    context->setTimeout(timeout);
    std::unique_ptr<gloo::rendezvous::Store> store;
    if (kind == "tcp") store.reset(new nabla_gloo::TcpStore(where, static_cast<int>(port), timeout));
    else store.reset(new gloo::rendezvous::FileStore(where));
    gloo::rendezvous::PrefixStore prefixed("nabla", *store);
    context->connectFullMesh(prefixed, device);
    slot = context;
    g_timeout = timeout;
    WorkQueue::get()->setWorldSize(static_cast<int>(size));
  };
  return submit(env, std::move(job), false, {});
}

template <typename T>
gloo::AllreduceOptions::Func reduceFn(int op) {
  if (op == 1) return [](void* c, const void* a, const void* b, size_t n) { gloo::max<T>(c, a, b, n); };
  if (op == 2) return [](void* c, const void* a, const void* b, size_t n) { gloo::min<T>(c, a, b, n); };
  return [](void* c, const void* a, const void* b, size_t n) { gloo::sum<T>(c, a, b, n); };
}

template <typename T>
const gloo::ReductionFunction<T>* reductionFunction(int op) {
  if (op == 1) return gloo::ReductionFunction<T>::max;
  if (op == 2) return gloo::ReductionFunction<T>::min;
  return gloo::ReductionFunction<T>::sum;
}

// Op codes: 0 sum, 1 max, 2 min, 3 mean (float32: the sum divided by the world size).
bool getOp(napi_env env, napi_value v, const ArrayView& a, int64_t& op, std::string& why) {
  if (!getInt(env, v, op) || op < 0 || op > 3) {
    why = "bad op code";
    return false;
  }
  if (op == 3 && a.type != napi_float32_array) {
    why = "op mean needs a Float32Array";
    return false;
  }
  return true;
}

void divideBy(float* p, size_t n, int size) {
  for (size_t i = 0; i < n; i++) p[i] /= static_cast<float>(size);
}

// allReduce(array, op, blocking) -> Promise (or undefined when blocking); in place.
napi_value AllReduce(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (!requireGroup(env, "allReduce")) return nullptr;
  ArrayView a;
  std::string why;
  int64_t op;
  if (argc != 3 || !getArray(env, argv[0], a, why)) return throwError(env, "distributed.allReduce: " + why);
  if (!getOp(env, argv[1], a, op, why)) return throwError(env, "distributed.allReduce: " + why);
  auto job = std::make_unique<Job>();
  job->name = "allReduce";
  job->run = [=](std::shared_ptr<gloo::Context>& ctx) {
    if (a.length == 0) return;
    gloo::AllreduceOptions opts(ctx);
    opts.setTimeout(g_timeout);
    if (a.type == napi_float32_array) {
      opts.setOutput(static_cast<float*>(a.data), a.length);
      opts.setReduceFunction(reduceFn<float>(static_cast<int>(op)));
    } else {
      opts.setOutput(static_cast<int32_t*>(a.data), a.length);
      opts.setReduceFunction(reduceFn<int32_t>(static_cast<int>(op)));
    }
    gloo::allreduce(opts);
    if (op == 3) divideBy(static_cast<float*>(a.data), a.length, ctx->size);
  };
  return submit(env, std::move(job), isBlocking(env, argv[2]), {argv[0]});
}

// reduceScatter(input, output, recvCounts Int32Array, op, blocking): reduces input over the ranks
// and writes this rank's recvCounts[rank] elements (those after the lower ranks' counts) to the start
// of output, a scratch array as long as input (input is read when the collective runs, in order).
napi_value ReduceScatter(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int size = requireGroup(env, "reduceScatter");
  if (!size) return nullptr;
  ArrayView in, out, counts;
  std::string why;
  int64_t op;
  if (argc != 5 || !getArray(env, argv[0], in, why) || !getArray(env, argv[1], out, why) || !getArray(env, argv[2], counts, why)) {
    return throwError(env, "distributed.reduceScatter: " + why);
  }
  if (in.type != out.type || in.length != out.length) return throwError(env, "distributed.reduceScatter: the output array must match the input's type and length");
  if (!getOp(env, argv[3], in, op, why)) return throwError(env, "distributed.reduceScatter: " + why);
  if (counts.type != napi_int32_array || counts.length != static_cast<size_t>(size)) {
    return throwError(env, "distributed.reduceScatter: recvCounts must be an Int32Array of " + std::to_string(size) + " counts (one per rank)");
  }
  if (in.length > static_cast<size_t>(INT32_MAX)) return throwError(env, "distributed.reduceScatter: more than 2^31 - 1 elements");
  const auto* c = static_cast<const int32_t*>(counts.data);
  std::vector<int> recvCounts(c, c + size);
  size_t total = 0;
  for (int n : recvCounts) {
    if (n < 0) return throwError(env, "distributed.reduceScatter: recvCounts must not be negative");
    total += static_cast<size_t>(n);
  }
  if (total != in.length) {
    return throwError(env, "distributed.reduceScatter: recvCounts add up to " + std::to_string(total) + " but the array has " + std::to_string(in.length) + " elements");
  }
  auto job = std::make_unique<Job>();
  job->name = "reduceScatter";
  job->run = [=](std::shared_ptr<gloo::Context>& ctx) {
    if (ctx->size != size) throw std::runtime_error("the group changed size");
    if (in.length == 0) return;
    const int n = static_cast<int>(in.length);
    const size_t elem = in.type == napi_float32_array ? sizeof(float) : sizeof(int32_t);
    if (out.data != in.data) std::memcpy(out.data, in.data, in.length * elem);
    if (in.type == napi_float32_array) {
      std::vector<float*> ptrs{static_cast<float*>(out.data)};
      gloo::ReduceScatterHalvingDoubling<float>(ctx, ptrs, n, recvCounts, reductionFunction<float>(static_cast<int>(op))).run();
      if (op == 3) divideBy(static_cast<float*>(out.data), recvCounts[ctx->rank], ctx->size);
    } else {
      std::vector<int32_t*> ptrs{static_cast<int32_t*>(out.data)};
      gloo::ReduceScatterHalvingDoubling<int32_t>(ctx, ptrs, n, recvCounts, reductionFunction<int32_t>(static_cast<int>(op))).run();
    }
  };
  return submit(env, std::move(job), isBlocking(env, argv[4]), {argv[0], argv[1]});
}

// broadcast(array, root, blocking); in place.
napi_value Broadcast(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int size = requireGroup(env, "broadcast");
  if (!size) return nullptr;
  ArrayView a;
  std::string why;
  int64_t root;
  if (argc != 3 || !getArray(env, argv[0], a, why)) return throwError(env, "distributed.broadcast: " + why);
  if (!getInt(env, argv[1], root) || root < 0 || root >= size) {
    return throwError(env, "distributed.broadcast: src must be a rank in [0, " + std::to_string(size) + ")");
  }
  auto job = std::make_unique<Job>();
  job->name = "broadcast";
  job->run = [=](std::shared_ptr<gloo::Context>& ctx) {
    if (a.length == 0) return;
    gloo::BroadcastOptions opts(ctx);
    opts.setTimeout(g_timeout);
    opts.setRoot(static_cast<int>(root));
    if (a.type == napi_float32_array) opts.setOutput(static_cast<float*>(a.data), a.length);
    else opts.setOutput(static_cast<int32_t*>(a.data), a.length);
    gloo::broadcast(opts);
  };
  return submit(env, std::move(job), isBlocking(env, argv[2]), {argv[0]});
}

// allGather(input, output, blocking); output.length must be input.length * worldSize, same type.
napi_value AllGather(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int size = requireGroup(env, "allGather");
  if (!size) return nullptr;
  ArrayView in, out;
  std::string why;
  if (argc != 3 || !getArray(env, argv[0], in, why) || !getArray(env, argv[1], out, why)) return throwError(env, "distributed.allGather: " + why);
  if (in.type != out.type) return throwError(env, "distributed.allGather: input and output arrays differ in type");
  if (out.length != in.length * static_cast<size_t>(size)) {
    return throwError(env, "distributed.allGather: output has " + std::to_string(out.length) + " elements, expected " +
                               std::to_string(in.length) + " x " + std::to_string(size));
  }
  auto job = std::make_unique<Job>();
  job->name = "allGather";
  job->run = [=](std::shared_ptr<gloo::Context>& ctx) {
    if (ctx->size != size) throw std::runtime_error("the group changed size");
    if (in.length == 0) return;
    gloo::AllgatherOptions opts(ctx);
    opts.setTimeout(g_timeout);
    if (in.type == napi_float32_array) {
      opts.setInput(static_cast<float*>(in.data), in.length);
      opts.setOutput(static_cast<float*>(out.data), out.length);
    } else {
      opts.setInput(static_cast<int32_t*>(in.data), in.length);
      opts.setOutput(static_cast<int32_t*>(out.data), out.length);
    }
    gloo::allgather(opts);
  };
  return submit(env, std::move(job), isBlocking(env, argv[2]), {argv[0], argv[1]});
}

// barrier(blocking)
napi_value Barrier(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (!requireGroup(env, "barrier")) return nullptr;
  auto job = std::make_unique<Job>();
  job->name = "barrier";
  job->run = [](std::shared_ptr<gloo::Context>& ctx) {
    gloo::BarrierOptions opts(ctx);
    opts.setTimeout(g_timeout);
    gloo::barrier(opts);
  };
  return submit(env, std::move(job), argc == 1 && isBlocking(env, argv[0]), {});
}

// destroy() -> Promise: leaves the group after the collectives queued before it.
napi_value Destroy(napi_env env, napi_callback_info) {
  auto job = std::make_unique<Job>();
  job->name = "destroyProcessGroup";
  job->control = true;
  job->run = [](std::shared_ptr<gloo::Context>& ctx) {
    ctx.reset();
    WorkQueue::get()->setWorldSize(0);
  };
  return submit(env, std::move(job), false, {});
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, WorkQueue::get()->worldSize(), &v);
  napi_set_named_property(env, obj, "worldSize", v);
  napi_create_int32(env, GLOO_VERSION, &v);
  napi_set_named_property(env, obj, "glooVersion", v);
  return obj;
}

napi_value InitModule(napi_env env, napi_value exports) {
  if (WorkQueue::setUp(env) != napi_ok) {
    napi_throw_error(env, nullptr, "nabla_gloo: could not start the work queue");
    return nullptr;
  }
  napi_property_descriptor props[] = {
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allReduce", nullptr, AllReduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceScatter", nullptr, ReduceScatter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"broadcast", nullptr, Broadcast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allGather", nullptr, AllGather, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"barrier", nullptr, Barrier, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"destroy", nullptr, Destroy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, InitModule)
