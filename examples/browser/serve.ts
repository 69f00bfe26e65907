// npm run example:browser [-- --port N]: serves examples/browser/ on 127.0.0.1 and prints its URL.
// The typical CNN then trains on MNIST in the page (open the URL in a browser).

import { DEFAULT_EXAMPLE_PORT, startExampleServer } from "./server.js";

function portFlag(args: string[]): number {
  const i = args.findIndex((a) => a === "--port" || a.startsWith("--port="));
  if (i < 0) return DEFAULT_EXAMPLE_PORT;
  const raw = args[i].includes("=") ? args[i].slice("--port=".length) : args[i + 1];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`example:browser: --port must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

const server = await startExampleServer({ port: portFlag(process.argv.slice(2)) });
console.log(`nabla browser example: ${server.url}  (Ctrl-C stops it; add ?train=5000&epochs=3 to change the slice)`);
process.on("SIGINT", () => void server.close().then(() => process.exit(0)));
