// nabla_gloo: Node-API binding of Debian's libgloo (TCP transport) for src/distributed.
// One process group per process. Every collective runs on libuv's thread pool (napi async work)
// and resolves a promise; the JavaScript side (src/distributed/gloo-backend.ts) queues calls so
// every rank issues the same collectives in the same order. Arrays are validated (type, length)
// before any pointer is handed to gloo, and referenced until the work completes.
#include <node_api.h>

#include <chrono>
#include <cstring>
#include <exception>
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
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>

#include "tcp_store.h"

namespace {

std::shared_ptr<gloo::Context> g_context;
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

// One collective in flight: what to run off the JavaScript thread, and the arrays it holds.
struct Work {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  std::vector<napi_ref> refs;
  std::function<void()> run;
  std::string error;
  std::string name;
};

void executeWork(napi_env, void* data) {
  auto* w = static_cast<Work*>(data);
  try {
    w->run();
  } catch (const std::exception& e) {
    w->error = e.what();
  } catch (...) {
    w->error = "unknown error";
  }
}

void completeWork(napi_env env, napi_status, void* data) {
  auto* w = static_cast<Work*>(data);
  for (napi_ref r : w->refs) napi_delete_reference(env, r);
  if (w->error.empty()) {
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, w->deferred, undef);
  } else {
    napi_value msg, err;
    std::string text = "distributed." + w->name + ": " + w->error;
    napi_create_string_utf8(env, text.c_str(), text.size(), &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, w->deferred, err);
  }
  napi_delete_async_work(env, w->work);
  delete w;
}

napi_value queue(napi_env env, Work* w, const std::vector<napi_value>& hold) {
  napi_value promise, resourceName;
  if (napi_create_promise(env, &w->deferred, &promise) != napi_ok) {
    delete w;
    return throwError(env, "nabla_gloo: could not create a promise");
  }
  for (napi_value v : hold) {
    napi_ref r;
    napi_create_reference(env, v, 1, &r);
    w->refs.push_back(r);
  }
  napi_create_string_utf8(env, w->name.c_str(), w->name.size(), &resourceName);
  napi_create_async_work(env, nullptr, resourceName, executeWork, completeWork, w, &w->work);
  napi_queue_async_work(env, w->work);
  return promise;
}

std::shared_ptr<gloo::Context> requireContext(napi_env env, const char* op) {
  if (!g_context) {
    throwError(env, std::string("distributed.") + op + ": no process group; call initProcessGroup first");
  }
  return g_context;
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
  if (g_context) return throwError(env, "distributed.initProcessGroup: a process group already exists; call destroyProcessGroup first");
  auto* w = new Work();
  w->name = "initProcessGroup";
  auto timeout = std::chrono::milliseconds(timeoutMs);
  w->run = [=]() {
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
    g_context = context;
    g_timeout = timeout;
  };
  return queue(env, w, {});
}

template <typename T>
gloo::AllreduceOptions::Func reduceFn(int op) {
  if (op == 1) return [](void* c, const void* a, const void* b, size_t n) { gloo::max<T>(c, a, b, n); };
  if (op == 2) return [](void* c, const void* a, const void* b, size_t n) { gloo::min<T>(c, a, b, n); };
  return [](void* c, const void* a, const void* b, size_t n) { gloo::sum<T>(c, a, b, n); };
}

// allReduce(array, op 0 sum | 1 max | 2 min) -> Promise; in place.
napi_value AllReduce(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  auto ctx = requireContext(env, "allReduce");
  if (!ctx) return nullptr;
  ArrayView a;
  std::string why;
  int64_t op;
  if (argc != 2 || !getArray(env, argv[0], a, why)) return throwError(env, "distributed.allReduce: " + why);
  if (!getInt(env, argv[1], op) || op < 0 || op > 2) return throwError(env, "distributed.allReduce: bad op code");
  auto* w = new Work();
  w->name = "allReduce";
  auto timeout = g_timeout;
  w->run = [=]() {
    if (a.length == 0) return;
    gloo::AllreduceOptions opts(ctx);
    opts.setTimeout(timeout);
    if (a.type == napi_float32_array) {
      opts.setOutput(static_cast<float*>(a.data), a.length);
      opts.setReduceFunction(reduceFn<float>(static_cast<int>(op)));
    } else {
      opts.setOutput(static_cast<int32_t*>(a.data), a.length);
      opts.setReduceFunction(reduceFn<int32_t>(static_cast<int>(op)));
    }
    gloo::allreduce(opts);
  };
  return queue(env, w, {argv[0]});
}

// broadcast(array, root) -> Promise; in place.
napi_value Broadcast(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  auto ctx = requireContext(env, "broadcast");
  if (!ctx) return nullptr;
  ArrayView a;
  std::string why;
  int64_t root;
  if (argc != 2 || !getArray(env, argv[0], a, why)) return throwError(env, "distributed.broadcast: " + why);
  if (!getInt(env, argv[1], root) || root < 0 || root >= ctx->size) {
    return throwError(env, "distributed.broadcast: src must be a rank in [0, " + std::to_string(ctx->size) + ")");
  }
  auto* w = new Work();
  w->name = "broadcast";
  auto timeout = g_timeout;
  w->run = [=]() {
    if (a.length == 0) return;
    gloo::BroadcastOptions opts(ctx);
    opts.setTimeout(timeout);
    opts.setRoot(static_cast<int>(root));
    if (a.type == napi_float32_array) opts.setOutput(static_cast<float*>(a.data), a.length);
    else opts.setOutput(static_cast<int32_t*>(a.data), a.length);
    gloo::broadcast(opts);
  };
  return queue(env, w, {argv[0]});
}

// allGather(input, output) -> Promise; output.length must be input.length * worldSize, same type.
napi_value AllGather(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  auto ctx = requireContext(env, "allGather");
  if (!ctx) return nullptr;
  ArrayView in, out;
  std::string why;
  if (argc != 2 || !getArray(env, argv[0], in, why) || !getArray(env, argv[1], out, why)) return throwError(env, "distributed.allGather: " + why);
  if (in.type != out.type) return throwError(env, "distributed.allGather: input and output arrays differ in type");
  if (out.length != in.length * static_cast<size_t>(ctx->size)) {
    return throwError(env, "distributed.allGather: output has " + std::to_string(out.length) + " elements, expected " +
                               std::to_string(in.length) + " x " + std::to_string(ctx->size));
  }
  auto* w = new Work();
  w->name = "allGather";
  auto timeout = g_timeout;
  w->run = [=]() {
    if (in.length == 0) return;
    gloo::AllgatherOptions opts(ctx);
    opts.setTimeout(timeout);
    if (in.type == napi_float32_array) {
      opts.setInput(static_cast<float*>(in.data), in.length);
      opts.setOutput(static_cast<float*>(out.data), out.length);
    } else {
      opts.setInput(static_cast<int32_t*>(in.data), in.length);
      opts.setOutput(static_cast<int32_t*>(out.data), out.length);
    }
    gloo::allgather(opts);
  };
  return queue(env, w, {argv[0], argv[1]});
}

napi_value Barrier(napi_env env, napi_callback_info info) {
  auto ctx = requireContext(env, "barrier");
  if (!ctx) return nullptr;
  auto* w = new Work();
  w->name = "barrier";
  auto timeout = g_timeout;
  w->run = [=]() {
    gloo::BarrierOptions opts(ctx);
    opts.setTimeout(timeout);
    gloo::barrier(opts);
  };
  return queue(env, w, {});
}

napi_value Destroy(napi_env env, napi_callback_info) {
  g_context.reset();
  napi_value undef;
  napi_get_undefined(env, &undef);
  return undef;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, g_context ? g_context->rank : -1, &v);
  napi_set_named_property(env, obj, "rank", v);
  napi_create_int32(env, g_context ? g_context->size : 0, &v);
  napi_set_named_property(env, obj, "worldSize", v);
  napi_create_int32(env, GLOO_VERSION, &v);
  napi_set_named_property(env, obj, "glooVersion", v);
  return obj;
}

napi_value InitModule(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allReduce", nullptr, AllReduce, nullptr, nullptr, nullptr, napi_default, nullptr},
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
