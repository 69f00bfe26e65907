// The dashboard's web server (node:http): the page, uPlot's files, and the runs of one catalog as
// JSON and as server-sent events. It binds to 127.0.0.1 only and answers only the names below:
// a URL is split into segments and matched exactly, and a run is found by looking its name up in
// the catalog, so no part of a URL ever becomes a file path (`/../`, `%2e%2e` and absolute paths
// are 404). Requests whose Host is not this server (a DNS-rebinding page) are refused.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { AddressInfo } from "node:net";
import type { RunCatalog } from "./run-source.js";
import { summarize } from "./run-source.js";
import { INDEX_HTML } from "./page/index-html.js";
import { APP_JS } from "./page/app-js.js";
import { STYLE_CSS } from "./page/style-css.js";

export const DEFAULT_DASHBOARD_PORT = 8477;
const HOST = "127.0.0.1";
const HEARTBEAT_MS = 15_000;

export interface DashboardServer {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  readonly port: number;
  /** Ends every open event stream and stops listening. */
  close(): Promise<void>;
}

interface Asset {
  type: string;
  body: string | Buffer;
}

/** uPlot's browser build and stylesheet, read from the installed package. */
function uplotAssets(): Record<string, Asset> {
  const dist = dirname(createRequire(import.meta.url).resolve("uplot"));
  return {
    "uPlot.iife.min.js": { type: "text/javascript; charset=utf-8", body: readFileSync(join(dist, "uPlot.iife.min.js")) },
    "uPlot.min.css": { type: "text/css; charset=utf-8", body: readFileSync(join(dist, "uPlot.min.css")) },
  };
}

const PAGE: Record<string, Asset> = {
  "": { type: "text/html; charset=utf-8", body: INDEX_HTML },
  "index.html": { type: "text/html; charset=utf-8", body: INDEX_HTML },
  "app.js": { type: "text/javascript; charset=utf-8", body: APP_JS },
  "style.css": { type: "text/css; charset=utf-8", body: STYLE_CSS },
};

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'",
  "Referrer-Policy": "no-referrer",
};

/**
 * The URL's path as decoded segments, or null when it is not a plain path: a `.` or `..` segment
 * (raw or percent-encoded), a backslash, a NUL, a double slash or bad percent-encoding.
 */
export function pathSegments(rawUrl: string): string[] | null {
  const path = rawUrl.split(/[?#]/)[0];
  if (!path.startsWith("/") || path.startsWith("//")) return null;
  const segments: string[] = [];
  for (const raw of path.slice(1).split("/")) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === "." || s === ".." || /[\\\0]/.test(s)) return null;
    segments.push(s);
  }
  return segments;
}

export async function startDashboardServer(catalog: RunCatalog, opts: { port?: number } = {}): Promise<DashboardServer> {
  const vendor = uplotAssets();
  const streams = new Set<ServerResponse>();
  let port = 0;

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer | Uint8Array) => {
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", ...SECURITY_HEADERS });
    res.end(res.req.method === "HEAD" ? undefined : body);
  };
  const notFound = (res: ServerResponse) => send(res, 404, "text/plain; charset=utf-8", "not found\n");
  const json = (res: ServerResponse, value: unknown) => send(res, 200, "application/json; charset=utf-8", JSON.stringify(value));

  function stream(req: IncomingMessage, res: ServerResponse, name: string) {
    const run = catalog.get(name);
    if (!run) return notFound(res);
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive", ...SECURITY_HEADERS });
    // The run so far, then each new event as it happens.
    for (const e of run.events()) res.write(`data: ${JSON.stringify(e)}\n\n`);
    const stop = run.subscribe((e) => res.write(`data: ${JSON.stringify(e)}\n\n`));
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    streams.add(res);
    req.on("close", () => {
      stop();
      clearInterval(heartbeat);
      streams.delete(res);
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const host = req.headers.host ?? "";
    if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) return send(res, 403, "text/plain; charset=utf-8", "forbidden: unknown Host\n");
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
    const s = pathSegments(req.url ?? "");
    if (!s) return notFound(res);
    if (s.length === 1 && PAGE[s[0]]) return send(res, 200, PAGE[s[0]].type, PAGE[s[0]].body);
    if (s.length === 2 && s[0] === "vendor" && vendor[s[1]]) return send(res, 200, vendor[s[1]].type, vendor[s[1]].body);
    if (s[0] !== "api") return notFound(res);
    if (s.length === 2 && s[1] === "runs") return json(res, catalog.runs().map(summarize));
    if (s.length === 4 && s[1] === "runs") {
      const run = catalog.get(s[2]);
      if (!run) return notFound(res);
      if (s[3] === "events") return json(res, run.events());
      if (s[3] === "stream") return stream(req, res, s[2]);
      if (s[3] === "filters.png") {
        const png = run.filtersPng();
        return png ? send(res, 200, "image/png", png) : notFound(res);
      }
    }
    return notFound(res);
  }

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `dashboard: ${(e as Error).message}\n`);
      else res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      reject(e.code === "EADDRINUSE"
        ? new Error(`dashboard: port ${opts.port} on ${HOST} is in use; pick another port (0: any free port)`)
        : new Error(`dashboard: cannot listen on ${HOST}:${opts.port}: ${e.message}`));
    });
    server.listen(opts.port ?? DEFAULT_DASHBOARD_PORT, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => {
      for (const res of streams) res.end();
      streams.clear();
      catalog.close?.();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
