// `nabla dashboard --logdir runs`: serve every run folder under the log dir (finished ones and
// ones still training, followed as they go) on 127.0.0.1 until the process is stopped.

import { FolderCatalog, findRunFolders } from "../dashboard/run-folder.js";
import { startDashboardServer, type DashboardServer } from "../dashboard/server.js";
import { UsageError } from "./usage-error.js";
import { existsSync, statSync } from "node:fs";

export async function dashboardCommand(a: { logdir: string; port: number }, log: (line: string) => void = console.log): Promise<DashboardServer> {
  if (!existsSync(a.logdir) || !statSync(a.logdir).isDirectory()) throw new UsageError(`--logdir ${a.logdir} is not a folder (the parent of the --out folders of nabla train)`);
  const server = await startDashboardServer(new FolderCatalog(a.logdir), { port: a.port });
  const n = findRunFolders(a.logdir).size;
  log(`nabla dashboard: ${n} run${n === 1 ? "" : "s"} under ${a.logdir} (more appear as they start) at ${server.url} — Ctrl-C stops it`);
  return server;
}
