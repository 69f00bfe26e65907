// A gloo rendezvous store spoken over TCP to the key/value server that rank 0 runs in JavaScript
// (src/distributed/tcp-store-server.ts). Debian's gloo has FileStore, HashStore and RedisStore but
// no TCP store, and torchrun-style MASTER_ADDR/MASTER_PORT rendezvous needs one.
// Wire format, both directions little-endian:
//   set: 'S' u32 keyLen key u32 valueLen value  -> 'K'
//   get: 'G' u32 keyLen key                     -> u32 valueLen value (the server waits for the key)
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include <gloo/rendezvous/store.h>

namespace nabla_gloo {

class TcpStore : public gloo::rendezvous::Store {
 public:
  TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout);
  ~TcpStore() override;
  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;

 private:
  void sendAll(const void* p, size_t n);
  void recvAll(void* p, size_t n);
  int fd_ = -1;
  std::string where_;
};

}  // namespace nabla_gloo
