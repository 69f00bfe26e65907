// The dashboard without a browser: what the live callback records during nb.fit, how run folders
// are read (events file, or history and diagnosis alone), the event stream of a run still being
// written, and what the server refuses: paths out of the run folders, other hosts, other methods.

import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";
import { LiveRun } from "../../src/dashboard/live-run.js";
import { DashboardCallback } from "../../src/dashboard/live-callback.js";
import { FolderCatalog, findRunFolders } from "../../src/dashboard/run-folder.js";
import { EVENTS_FILE, parseEventLine, type RunEvent } from "../../src/dashboard/run-events.js";
import { pathSegments, startDashboardServer } from "../../src/dashboard/server.js";

/** A raw GET (the path goes out exactly as written: no client-side normalisation of `..`). */
function get(port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function tinyRun() {
  nb.manualSeed(0);
  const x = nb.rand([40, 1, 6, 6]);
  const y = nb.randint(0, 3, [40]);
  const model = new nb.nn.Sequential(new nb.nn.Conv2d(1, 4, 3), new nb.nn.ReLU(), new nb.nn.Flatten(), new nb.nn.Linear(64, 3));
  return { x, y, model };
}

test("the live callback records start, progress, epochs, filters and the diagnosis, and mirrors them into dashboard.jsonl", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-live-"));
  const run = new LiveRun("tiny", dir);
  const seen: RunEvent[] = [];
  run.subscribe((e) => seen.push(e));
  const { x, y, model } = tinyRun();
  // progressEveryMs 0: every batch reports, so the count is exact.
  await nb.fit(model, {
    train: { x, y }, validationSplit: 0.25, epochs: 2, batchSize: 8, verbose: 0, metrics: ["accuracy"], loss: "crossEntropy",
    optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.1 }), callbacks: [new DashboardCallback(run, { info: { model: "tiny" }, progressEveryMs: 0 })],
  });
  const events = run.events();
  assert.deepEqual(seen, events);
  assert.deepEqual(events.map((e) => e.type), ["start", "filters", ...["batch", "batch", "batch", "batch", "epoch", "filters"], ...["batch", "batch", "batch", "batch", "epoch", "filters"], "end"]);
  const start = events[0] as Extract<RunEvent, { type: "start" }>;
  assert.deepEqual([start.epochs, start.stepsPerEpoch, start.info], [2, 4, { model: "tiny" }]);
  const batches = events.filter((e): e is Extract<RunEvent, { type: "batch" }> => e.type === "batch");
  assert.deepEqual(batches.map((b) => [b.epoch, b.batch]), [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2], [1, 3]]);
  assert.ok(batches.every((b) => b.imagesPerSecond > 0 && Number.isFinite(b.logs.loss) && b.logs.accuracy !== undefined));
  const epochs = events.filter((e): e is Extract<RunEvent, { type: "epoch" }> => e.type === "epoch");
  assert.deepEqual(Object.keys(epochs[1].logs).sort(), ["accuracy", "loss", "lr", "val_accuracy", "val_loss"]);
  assert.equal(epochs[1].logs.lr, 0.1);
  const end = events[events.length - 1] as Extract<RunEvent, { type: "end" }>;
  assert.equal(end.epochs, 2);
  assert.equal(end.diagnosis?.verdict, "too-few-epochs");
  // The first conv's filters as a PNG (4 kernels), and the same events on disk.
  assert.deepEqual([...run.filtersPng()!.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.deepEqual(readFileSync(join(dir, "filters.png")), Buffer.from(run.filtersPng()!));
  const lines = readFileSync(join(dir, EVENTS_FILE), "utf8").trim().split("\n").map(parseEventLine);
  assert.deepEqual(lines, JSON.parse(JSON.stringify(events)));
});

test("run folders: found under the log dir, read from their events file or rebuilt from history and diagnosis", () => {
  const logdir = mkdtempSync(join(tmpdir(), "nabla-runs-"));
  mkdirSync(join(logdir, "json"));
  writeFileSync(join(logdir, "json", "history.json"), JSON.stringify({ loss: [1, 0.5], val_loss: [1.1, 0.7], lr: [0.1, 0.1], epoch: [0, 1] }));
  writeFileSync(join(logdir, "json", "diagnosis.json"), JSON.stringify({ verdict: "good-fit", confidence: "low", explanation: "Possibly a good fit.", remedies: [], notes: [] }));
  mkdirSync(join(logdir, "group", "csv"), { recursive: true });
  writeFileSync(join(logdir, "group", "csv", "history.csv"), "epoch,loss,accuracy\n0,2.0,0.25\n1,1.5,0.5\n2,1.0,0.75\n");
  mkdirSync(join(logdir, "not-a-run"));
  writeFileSync(join(logdir, "not-a-run", "notes.txt"), "");
  assert.deepEqual([...findRunFolders(logdir).keys()], ["group/csv", "json"]);

  const catalog = new FolderCatalog(logdir);
  const json = catalog.get("json")!.events();
  assert.deepEqual(json.map((e) => e.type), ["start", "epoch", "epoch", "end"]);
  assert.deepEqual((json[2] as Extract<RunEvent, { type: "epoch" }>).logs, { loss: 0.5, val_loss: 0.7, lr: 0.1 });
  assert.equal((json[3] as Extract<RunEvent, { type: "end" }>).diagnosis?.explanation, "Possibly a good fit.");
  const csv = catalog.get("group/csv")!.events().filter((e) => e.type === "epoch") as Extract<RunEvent, { type: "epoch" }>[];
  assert.deepEqual(csv.map((e) => [e.epoch, e.logs.loss, e.logs.accuracy]), [[0, 2, 0.25], [1, 1.5, 0.5], [2, 1, 0.75]]);
  assert.equal(catalog.get("../json"), undefined);
  assert.throws(() => new FolderCatalog(join(logdir, "missing")), /--logdir .*missing is not a folder/);
});

test("a run still being written streams its events as they are appended (server-sent events)", async () => {
  const logdir = mkdtempSync(join(tmpdir(), "nabla-follow-"));
  const dir = join(logdir, "live");
  mkdirSync(dir);
  const file = join(dir, EVENTS_FILE);
  writeFileSync(file, JSON.stringify({ type: "start", time: 1, epochs: 3, stepsPerEpoch: 10, initialEpoch: 0, info: {} }) + "\n");
  const server = await startDashboardServer(new FolderCatalog(logdir), { port: 0 });
  try {
    const received: RunEvent[] = [];
    const twoMore = new Promise<void>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: server.port, path: "/api/runs/live/stream" }, (res) => {
        assert.equal(res.headers["content-type"], "text/event-stream; charset=utf-8");
        let buffer = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          buffer += chunk;
          const parts = buffer.split("\n\n");
          buffer = parts.pop()!;
          for (const p of parts) if (p.startsWith("data: ")) received.push(JSON.parse(p.slice(6)));
          if (received.length === 3) { req.destroy(); resolve(); }
        });
      });
      req.on("error", (e) => (received.length === 3 ? resolve() : reject(e)));
      req.end();
    });
    // Appended after the stream opened; half a line first (a writer caught mid-line), then the rest.
    const epoch = JSON.stringify({ type: "epoch", time: 2, epoch: 0, logs: { loss: 1 }, seconds: 1, imagesPerSecond: 100 });
    setTimeout(() => appendFileSync(file, epoch.slice(0, 20)), 100);
    setTimeout(() => appendFileSync(file, epoch.slice(20) + "\n" + JSON.stringify({ type: "end", time: 3, epochs: 1, diagnosis: null }) + "\n"), 700);
    await twoMore;
    assert.deepEqual(received.map((e) => e.type), ["start", "epoch", "end"]);
    const [summary] = JSON.parse((await get(server.port, "/api/runs")).body);
    assert.deepEqual([summary.name, summary.status, summary.epochsDone, summary.epochs, summary.last], ["live", "finished", 1, 3, { loss: 1 }]);
  } finally {
    await server.close();
  }
});

test("the server serves the page and the runs, and nothing outside them: traversal, other hosts and methods are refused", async () => {
  const base = mkdtempSync(join(tmpdir(), "nabla-secure-"));
  writeFileSync(join(base, "secret.txt"), "secret");
  const logdir = join(base, "runs");
  mkdirSync(join(logdir, "a"), { recursive: true });
  writeFileSync(join(logdir, "a", "history.json"), JSON.stringify({ loss: [1] }));
  writeFileSync(join(logdir, "a", "best.safetensors"), "weights");
  const server = await startDashboardServer(new FolderCatalog(logdir), { port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(server.port, "/");
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="app.js">/);
    assert.equal((await get(server.port, "/app.js")).type, "text/javascript; charset=utf-8");
    assert.equal((await get(server.port, "/vendor/uPlot.iife.min.js")).status, 200);
    assert.equal((await get(server.port, "/vendor/uPlot.min.css")).status, 200);
    assert.equal(JSON.parse((await get(server.port, "/api/runs")).body)[0].name, "a");
    assert.equal(JSON.parse((await get(server.port, "/api/runs/a/events")).body).length, 3);

    const refused = [
      "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt", "/vendor/../../secret.txt",
      "/vendor/..%2F..%2Fpackage.json", "/api/runs/..%2Fsecret.txt/events", "/api/runs/a/../../../secret.txt",
      "/api/runs/%2e%2e/events", "/api/runs/a/best.safetensors", "/api/runs/a/history.json", "/api/runs/a/filters.png",
      "/api/runs/%2Fetc%2Fpasswd/events", "//etc/passwd", "/etc/passwd", `${join(base, "secret.txt")}`, "/a/history.json",
      "http://127.0.0.1/etc/passwd", "/api/runs/a%00/events", "/..\\secret.txt", "/%5c..%5csecret.txt", "/%zz",
    ];
    for (const path of refused) {
      const r = await get(server.port, path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /secret|weights|root:/, path);
    }
    assert.equal((await get(server.port, "/", { Host: "evil.example:80" })).status, 403);
    assert.equal((await get(server.port, "/api/runs", { Host: `evil.example:${server.port}` })).status, 403);
    assert.equal((await get(server.port, "/", { Host: `localhost:${server.port}` })).status, 200);
    assert.equal((await get(server.port, "/api/runs", {}, "POST")).status, 405);
  } finally {
    await server.close();
  }
  await assert.rejects(get(server.port, "/"), /ECONNREFUSED/);
});

test("URL paths are split into decoded segments; dot segments and backslashes are refused", () => {
  assert.deepEqual(pathSegments("/api/runs/group%2Fcsv/events?x=1"), ["api", "runs", "group/csv", "events"]);
  assert.deepEqual(pathSegments("/"), [""]);
  for (const bad of ["/..", "/a/./b", "/%2e", "/a%5Cb", "//x", "x", "/%E0%A4%A"]) assert.equal(pathSegments(bad), null, bad);
});

test("a port in use is one clear error", async () => {
  const first = await startDashboardServer(new LiveRun("x"), { port: 0 });
  try {
    await assert.rejects(startDashboardServer(new LiveRun("y"), { port: first.port }), new RegExp(`^Error: dashboard: port ${first.port} on 127\\.0\\.0\\.1 is in use; pick another port \\(0: any free port\\)$`));
  } finally {
    await first.close();
  }
});
