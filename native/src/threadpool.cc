#include "threadpool.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NABLA_PAUSE() _mm_pause()
#else
#define NABLA_PAUSE() std::this_thread::yield()
#endif

namespace nabla {

namespace {

constexpr int kMaxThreads = 64;
/** Pause iterations a worker spins before sleeping: long enough to catch the next kernel of a
 *  training step, short enough not to burn a core another process could use. */
constexpr int kSpinIterations = 20000;

int defaultThreads() {
  const char* env = std::getenv("NABLA_NUM_THREADS");
  if (env && *env) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end && *end == '\0' && n >= 1) return n > kMaxThreads ? kMaxThreads : static_cast<int>(n);
  }
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n >= 1) return n > kMaxThreads ? kMaxThreads : n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  if (n == 0) return 1;
  return n > static_cast<unsigned>(kMaxThreads) ? kMaxThreads : static_cast<int>(n);
}

struct Worker {
  /** The job generation this worker is asked to take part in (set by the caller). */
  std::atomic<uint64_t> ticket{0};
};

/** Process-wide pool. Never destroyed: its threads are detached and end with the process. */
struct Pool {
  std::atomic<int> threads{0};
  Worker workers[kMaxThreads];
  int started = 0;  // workers running (guarded by jobMutex)

  std::mutex jobMutex;  // one job at a time
  std::mutex sleepMutex;
  std::condition_variable wake;

  // The current job (written by the caller before it hands out tickets).
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  int64_t tasks = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int> done{0};
  uint64_t generation = 0;

  void workerLoop(int id) {
    Worker& self = workers[id];
    uint64_t seen = 0;
    for (;;) {
      uint64_t t = self.ticket.load(std::memory_order_acquire);
      for (int i = 0; t == seen && i < kSpinIterations; i++) {
        NABLA_PAUSE();
        t = self.ticket.load(std::memory_order_acquire);
      }
      if (t == seen) {
        std::unique_lock<std::mutex> lock(sleepMutex);
        wake.wait(lock, [&] { return self.ticket.load(std::memory_order_acquire) != seen; });
        t = self.ticket.load(std::memory_order_acquire);
      }
      seen = t;
      for (int64_t k; (k = next.fetch_add(1, std::memory_order_relaxed)) < tasks;) fn(ctx, k, id + 1);
      done.fetch_add(1, std::memory_order_release);
    }
  }
};

Pool& pool() {
  static Pool* p = [] {
    Pool* q = new Pool();
    q->threads.store(defaultThreads());
    return q;
  }();
  return *p;
}

}  // namespace

int numThreads() { return pool().threads.load(std::memory_order_relaxed); }

void setNumThreads(int n) {
  if (n < 1) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  pool().threads.store(n);
}

void runTasks(int64_t tasks, TaskFn fn, void* ctx) {
  Pool& p = pool();
  const int threads = p.threads.load(std::memory_order_relaxed);
  if (tasks <= 0) return;
  std::unique_lock<std::mutex> job(p.jobMutex, std::try_to_lock);
  if (!job.owns_lock() || threads <= 1 || tasks == 1) {
    for (int64_t t = 0; t < tasks; t++) fn(ctx, t, 0);
    return;
  }
  int helpers = threads - 1;
  if (helpers > tasks - 1) helpers = static_cast<int>(tasks - 1);
  while (p.started < helpers) {
    const int id = p.started;
    std::thread([id] { pool().workerLoop(id); }).detach();
    p.started++;
  }
  p.fn = fn;
  p.ctx = ctx;
  p.tasks = tasks;
  p.next.store(0, std::memory_order_relaxed);
  p.done.store(0, std::memory_order_relaxed);
  const uint64_t gen = ++p.generation;
  {
    // Tickets are published under the sleep mutex so a worker about to sleep cannot miss one.
    std::lock_guard<std::mutex> lock(p.sleepMutex);
    for (int i = 0; i < helpers; i++) p.workers[i].ticket.store(gen, std::memory_order_release);
  }
  p.wake.notify_all();
  for (int64_t k; (k = p.next.fetch_add(1, std::memory_order_relaxed)) < tasks;) fn(ctx, k, 0);
  for (int spins = 0; p.done.load(std::memory_order_acquire) < helpers; spins++) {
    if (spins < kSpinIterations) NABLA_PAUSE();
    else std::this_thread::yield();
  }
}

}  // namespace nabla
