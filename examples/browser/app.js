// The browser example: nabla's browser build (/nabla.js) trains the course's typical CNN on a
// slice of MNIST in the page, with live uPlot curves, the conv1 filters drawn after each epoch and
// a canvas to draw digits on. Plain browser JavaScript, served as is by server.ts. What it has done
// is kept in globalThis.example for test/browser/example-page.test.ts.

import * as nb from "/nabla.js";
import { parseIdxBytes } from "/idx.js";

const params = new URLSearchParams(location.search);
function intParam(name, fallback, min, max) {
  const raw = params.get(name);
  const v = raw === null ? fallback : Number(raw);
  if (!Number.isFinite(v)) throw new RangeError(`?${name}= must be a number, got ${JSON.stringify(raw)}`);
  return Math.min(max, Math.max(min, Math.round(v)));
}
// The wasm backend (SIMD kernels) when the browser has WebAssembly SIMD, else the cpu backend;
// ?backend=cpu picks the pure-JavaScript one.
const wanted = params.get("backend") ?? "wasm";
const available = await nb.backendsReady();
if (!available.includes(wanted)) console.warn(`backend ${wanted} is not available here (${available.join(", ")}); using ${nb.getBackend()}`);
else nb.setBackend(wanted);
document.getElementById("backend").textContent = nb.getBackend();

const TRAIN = intParam("train", 3000, 1, 60000);
const TEST = intParam("test", 1000, 1, 10000);
const EPOCHS = intParam("epochs", 3, 1, 100);
const BATCH = intParam("batch", 32, 1, 1024);
const LR = Number(params.get("lr") ?? 0.002);
const PIXELS = 28 * 28;

const state = (globalThis.example = { backend: nb.getBackend(), status: "loading", lossPoints: 0, epochsDone: 0, testAccuracy: [], filtersDrawn: false, prediction: null, error: null });
const $ = (id) => document.getElementById(id);
const setStatus = (s) => { $("status").textContent = s; };
function fail(e) {
  state.error = String((e && e.stack) || e);
  state.status = "failed";
  setStatus(`error: ${e && e.message ? e.message : e}`);
  console.error(e);
}

/** The first `limit` entries of one MNIST IDX file, fetched as bytes and parsed in the page. */
async function idx(name, limit) {
  const res = await fetch(`/mnist/${name}`);
  if (!res.ok) throw new Error(`GET /mnist/${name}: ${res.status}`);
  return parseIdxBytes(new Uint8Array(await res.arrayBuffer()), { limit, name });
}

async function loadSplit(prefix, limit) {
  const [images, labels] = await Promise.all([idx(`${prefix}-images-idx3-ubyte`, limit), idx(`${prefix}-labels-idx1-ubyte`, limit)]);
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return { x, y: Int32Array.from(labels.data), n: labels.shape[0] };
}

// ---- curves --------------------------------------------------------------------------------
const lossData = [[], [], []]; // x (epochs), batch loss, running mean
const accData = [[], [], []];  // x (epochs), running train accuracy, test accuracy (at epoch ends)
function chart(holder, title, series, data) {
  return new uPlot({
    width: 480, height: 240, title, scales: { x: { time: false } },
    axes: [{ label: "epoch" }, {}],
    series: [{ label: "epoch", value: (u, v) => (v == null ? "–" : v.toFixed(2)) }, ...series],
  }, data, holder);
}
const lossChart = chart($("loss-chart"), "cross-entropy", [
  { label: "batch", stroke: "#9bb7e6", width: 1 },
  { label: "mean of last 20", stroke: "#1f4e9c", width: 2 },
], lossData);
const accChart = chart($("acc-chart"), "accuracy", [
  { label: "train (last 20 batches)", stroke: "#1f4e9c", width: 2 },
  { label: "test", stroke: "#d0604a", width: 2, spanGaps: true, points: { show: true, size: 7 } },
], accData);

// ---- model ---------------------------------------------------------------------------------
nb.manualSeed(0);
const model = nb.models.typicalCnn();
const lossFn = new nb.nn.CrossEntropyLoss();

function drawFilters() {
  const w = model.conv1.weight; // [8, 1, 3, 3]
  const [out, , kh, kw] = w.shape;
  const values = w.dataSync();
  const canvas = $("filters");
  const ctx = canvas.getContext("2d");
  const cell = 18, gap = 10;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let f = 0; f < out; f++) {
    const k = values.subarray(f * kh * kw, (f + 1) * kh * kw);
    const scale = Math.max(...k.map(Math.abs)) || 1;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const g = Math.round(127.5 + 127.5 * (k[i * kw + j] / scale));
        ctx.fillStyle = `rgb(${g},${g},${g})`;
        ctx.fillRect(gap / 2 + f * (kw * cell + gap) + j * cell, 5 + i * cell, cell, cell);
      }
    }
  }
  state.filtersDrawn = true;
}

function testAccuracy(test) {
  model.eval();
  let correct = 0;
  nb.noGrad(() => {
    for (let s = 0; s < test.n; s += 256) {
      const b = Math.min(256, test.n - s);
      const x = nb.tensor(test.x.subarray(s * PIXELS, (s + b) * PIXELS), { shape: [b, 1, 28, 28] });
      const pred = model.forward(x).argmax(1).dataSync();
      for (let i = 0; i < b; i++) if (pred[i] === test.y[s + i]) correct++;
    }
  });
  model.train();
  return correct / test.n;
}

const yieldToPage = () => new Promise((r) => setTimeout(r, 0));

async function train(data) {
  const { train: tr, test } = data;
  const opt = new nb.optim.Adam(model.parameters(), { lr: LR });
  const steps = Math.ceil(tr.n / BATCH);
  const order = Int32Array.from({ length: tr.n }, (_, i) => i);
  const recentLoss = [], recentHit = [];
  const xb = new Float32Array(BATCH * PIXELS), yb = new Int32Array(BATCH);
  const started = performance.now();
  model.train();
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) { // Fisher-Yates, a fresh order each epoch
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let step = 0; step < steps; step++) {
      const b = Math.min(BATCH, tr.n - step * BATCH);
      for (let i = 0; i < b; i++) {
        const k = order[step * BATCH + i];
        xb.set(tr.x.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
        yb[i] = tr.y[k];
      }
      const x = nb.tensor(xb.slice(0, b * PIXELS), { shape: [b, 1, 28, 28] });
      const y = nb.tensor(yb.slice(0, b));
      opt.zeroGrad();
      const logits = model.forward(x);
      const loss = lossFn.forward(logits, y);
      loss.backward();
      opt.step();
      const pred = logits.argmax(1).dataSync();
      let hits = 0;
      for (let i = 0; i < b; i++) if (pred[i] === yb[i]) hits++;
      recentLoss.push(loss.item()); recentHit.push(hits / b);
      if (recentLoss.length > 20) { recentLoss.shift(); recentHit.shift(); }
      const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
      lossData[0].push(epoch + (step + 1) / steps);
      lossData[1].push(recentLoss[recentLoss.length - 1]);
      lossData[2].push(mean(recentLoss));
      accData[0].push(epoch + (step + 1) / steps);
      accData[1].push(mean(recentHit));
      accData[2].push(null);
      state.lossPoints = lossData[0].length;
      if (step % 5 === 4 || step === steps - 1) {
        lossChart.setData(lossData);
        accChart.setData(accData);
        const rate = ((epoch * steps + step + 1) * BATCH) / ((performance.now() - started) / 1000);
        setStatus(`epoch ${epoch + 1}/${EPOCHS}, batch ${step + 1}/${steps}, loss ${mean(recentLoss).toFixed(3)} — ${rate.toFixed(0)} images/s`);
        await yieldToPage();
      }
    }
    const acc = testAccuracy(test);
    accData[2][accData[2].length - 1] = acc;
    state.testAccuracy.push(acc);
    state.epochsDone = epoch + 1;
    accChart.setData(accData);
    drawFilters();
    predictDrawing();
    await yieldToPage();
  }
  const seconds = (performance.now() - started) / 1000;
  state.status = "trained";
  setStatus(`trained ${EPOCHS} epoch(s) on ${tr.n} images in ${seconds.toFixed(1)} s; test accuracy ${(100 * state.testAccuracy.at(-1)).toFixed(1)}% on ${test.n} images. Draw a digit below.`);
}

// ---- the drawing canvas ----------------------------------------------------------------------
const draw = $("draw");
const pen = draw.getContext("2d");
let inked = false;
function clearDrawing() {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, draw.width, draw.height);
  inked = false;
  state.prediction = null;
  $("guess").textContent = "–";
  $("probs").replaceChildren();
}
clearDrawing();
let last = null;
const at = (e) => { const r = draw.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
draw.addEventListener("pointerdown", (e) => { last = at(e); stroke(last); draw.setPointerCapture(e.pointerId); });
draw.addEventListener("pointermove", (e) => { if (last) stroke(at(e)); });
const lift = () => { if (last) { last = null; predictDrawing(); } };
draw.addEventListener("pointerup", lift);
draw.addEventListener("pointercancel", lift);
$("clear").addEventListener("click", clearDrawing);
function stroke(p) {
  pen.strokeStyle = "#fff"; pen.lineWidth = 20; pen.lineCap = "round"; pen.lineJoin = "round";
  pen.beginPath(); pen.moveTo(last[0], last[1]); pen.lineTo(p[0], p[1]); pen.stroke();
  last = p;
  inked = true;
}

/**
 * The drawing as MNIST prepares its digits: the ink's bounding box scaled to fit 20x20, placed in a
 * 28x28 frame so that its centre of mass sits at the centre.
 */
function drawingAsMnist() {
  const { width: W, height: H } = draw;
  const ink = pen.getImageData(0, 0, W, H).data;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    if (ink[4 * (y * W + x)] > 20) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1, s = 20 / Math.max(bw, bh);
  const small = document.createElement("canvas");
  small.width = 28; small.height = 28;
  const c = small.getContext("2d");
  c.fillStyle = "#000"; c.fillRect(0, 0, 28, 28);
  c.imageSmoothingQuality = "high";
  c.drawImage(draw, x0, y0, bw, bh, 14 - (bw * s) / 2, 14 - (bh * s) / 2, bw * s, bh * s);
  const px = c.getImageData(0, 0, 28, 28).data;
  const gray = new Float32Array(PIXELS);
  let mass = 0, mx = 0, my = 0;
  for (let i = 0; i < PIXELS; i++) { gray[i] = px[4 * i] / 255; mass += gray[i]; mx += gray[i] * (i % 28); my += gray[i] * Math.floor(i / 28); }
  const dx = Math.round(13.5 - mx / mass), dy = Math.round(13.5 - my / mass);
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const sx = x - dx, sy = y - dy;
    if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = gray[sy * 28 + sx];
  }
  return out;
}

function predictDrawing() {
  if (!inked) return;
  const pixels = drawingAsMnist();
  if (!pixels) return;
  model.eval();
  const probs = Array.from(nb.noGrad(() => nb.softmax(model.forward(nb.tensor(pixels, { shape: [1, 1, 28, 28] })), 1)).dataSync());
  model.train();
  const digit = probs.indexOf(Math.max(...probs));
  state.prediction = { digit, probs };
  $("guess").textContent = String(digit);
  $("probs").replaceChildren(...probs.flatMap((p, d) => {
    const label = document.createElement("span"); label.textContent = String(d);
    const bar = document.createElement("div"); bar.className = d === digit ? "bar top" : "bar"; bar.style.width = `${Math.max(1, 160 * p)}px`;
    const value = document.createElement("span"); value.className = "muted"; value.textContent = `${(100 * p).toFixed(1)}%`;
    return [label, bar, value];
  }));
}

// ---- start -------------------------------------------------------------------------------------
drawFilters();
state.filtersDrawn = false; // the untrained ones; a test waits for the trained ones
let data = null;
Promise.all([loadSplit("train", TRAIN), loadSplit("t10k", TEST)]).then(([tr, test]) => {
  data = { train: tr, test };
  state.status = "ready";
  setStatus(`MNIST loaded: ${tr.n} training and ${test.n} test images (parsed from IDX bytes). Press Train.`);
  $("train").disabled = false;
}, fail);
$("train").addEventListener("click", () => {
  $("train").disabled = true;
  state.status = "training";
  train(data).catch(fail);
});
