// The rendezvous key/value store rank 0 serves on MASTER_ADDR:MASTER_PORT (torchrun's TCPStore
// role). Ranks' gloo contexts (native/gloo/tcp_store.cc) set their addresses here and wait for the
// others'. Protocol: 'S' u32 keyLen key u32 valueLen value → 'K'; 'G' u32 keyLen key → u32 len value,
// answered once the key exists.
import { createServer, type Server, type Socket } from "node:net";

const MAX_FIELD = 64 << 20;

export class TcpStoreServer {
  private readonly values = new Map<string, Buffer>();
  private readonly waiting = new Map<string, Socket[]>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  /** Listens on host:port; rejects (EADDRINUSE, …) with a message naming the address. */
  static listen(host: string, port: number): Promise<TcpStoreServer> {
    const server = createServer();
    const store = new TcpStoreServer(server);
    server.on("connection", (s) => store.serve(s));
    return new Promise((resolve, reject) => {
      server.once("error", (e) => reject(new Error(`distributed.initProcessGroup: rank 0 could not serve the rendezvous store on ${host}:${port} (MASTER_ADDR:MASTER_PORT): ${e.message}`)));
      server.listen(port, host, () => {
        // The store must not keep a finished process alive.
        server.unref();
        resolve(store);
      });
    });
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.unref();
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        const used = this.handle(socket, pending);
        if (used < 0) return socket.destroy();
        if (used === 0) break;
        pending = pending.subarray(used);
      }
    });
  }

  /** Handles one request at the start of buf: bytes used, 0 when incomplete, -1 when malformed. */
  private handle(socket: Socket, buf: Buffer): number {
    if (buf.length < 5) return 0;
    const op = String.fromCharCode(buf[0]);
    const keyLen = buf.readUInt32LE(1);
    if (keyLen > MAX_FIELD) return -1;
    if (buf.length < 5 + keyLen) return 0;
    const key = buf.toString("latin1", 5, 5 + keyLen);
    if (op === "G") {
      const value = this.values.get(key);
      if (value) this.reply(socket, value);
      else this.waiting.set(key, [...(this.waiting.get(key) ?? []), socket]);
      return 5 + keyLen;
    }
    if (op !== "S") return -1;
    if (buf.length < 9 + keyLen) return 0;
    const valueLen = buf.readUInt32LE(5 + keyLen);
    if (valueLen > MAX_FIELD) return -1;
    const end = 9 + keyLen + valueLen;
    if (buf.length < end) return 0;
    const value = Buffer.from(buf.subarray(9 + keyLen, end));
    this.values.set(key, value);
    socket.write("K");
    for (const waiter of this.waiting.get(key) ?? []) this.reply(waiter, value);
    this.waiting.delete(key);
    return end;
  }

  private reply(socket: Socket, value: Buffer): void {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(value.length, 0);
    socket.write(Buffer.concat([head, value]));
  }
}
