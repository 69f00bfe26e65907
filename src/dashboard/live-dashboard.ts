// What `nabla train --dashboard` sets up: a live run (mirrored into the run folder when there is
// one), the callback that feeds it, and a server that shows it.

import { basename, resolve } from "node:path";
import { LiveRun } from "./live-run.js";
import { DashboardCallback, type DashboardCallbackOptions } from "./live-callback.js";
import { startDashboardServer, type DashboardServer } from "./server.js";

export interface LiveDashboard {
  run: LiveRun;
  callback: DashboardCallback;
  server: DashboardServer;
}

/** `dir`: the run folder (--out), where dashboard.jsonl and filters.png are written; `port` 0 picks a free one. */
export async function startLiveDashboard(opts: { port: number; dir?: string } & DashboardCallbackOptions): Promise<LiveDashboard> {
  const { port, dir, ...callbackOptions } = opts;
  const run = new LiveRun(dir ? basename(resolve(dir)) : "run", dir);
  const server = await startDashboardServer(run, { port });
  return { run, callback: new DashboardCallback(run, callbackOptions), server };
}
