// The dashboard page's script: follows the ticked runs through server-sent events and draws their
// curves with uPlot (see index-html.ts for why it is a string module). Plain browser JavaScript,
// no framework; text from the runs goes into the page through textContent only.

export const APP_JS = String.raw`
(function () {
  "use strict";
  var COLORS = ["#2563eb", "#dc2626", "#059669", "#7c3aed", "#ea580c", "#0891b2", "#be185d", "#4d7c0f"];
  var MAX_AUTO_SELECTED = 2;
  var runs = {};        // name -> state of a run the page follows
  var summaries = [];   // the latest /api/runs listing
  var selected = [];    // names, in the order they were ticked (their colours)
  var charts = {};      // chart key -> uPlot
  var renderQueued = false;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
    return v.toFixed(digits === undefined ? 4 : digits);
  }
  function colorOf(name) { return COLORS[Math.max(0, selected.indexOf(name)) % COLORS.length]; }
  function runUrl(name, what) { return "api/runs/" + encodeURIComponent(name) + "/" + what; }

  function newRunState(name) {
    return { name: name, start: null, epochs: [], batches: [], end: null, test: null, filtersEpoch: null, lastBatch: null };
  }

  function apply(run, e) {
    if (e.type === "start") { var source = run.source; runs[run.name] = run = newRunState(run.name); run.source = source; run.start = e; }
    else if (e.type === "batch") { run.batches.push(e); run.lastBatch = e; }
    else if (e.type === "epoch") run.epochs.push(e);
    else if (e.type === "filters") run.filtersEpoch = e.epoch;
    else if (e.type === "end") run.end = e;
    else if (e.type === "test") run.test = e;
  }

  function follow(name) {
    var run = runs[name] = newRunState(name);
    var source = new EventSource(runUrl(name, "stream"));
    run.source = source;
    source.onmessage = function (m) {
      apply(runs[name], JSON.parse(m.data));
      setConnection("connected");
      queueRender();
    };
    source.onerror = function () {
      // The server stops with the run (nabla train without --dashboard-keep): stop asking.
      if (runs[name] && runs[name].end) { source.close(); setConnection("the run has ended; the server may have stopped"); }
      else setConnection("connection lost, retrying…");
    };
  }

  function unfollow(name) {
    if (runs[name] && runs[name].source) runs[name].source.close();
    delete runs[name];
  }

  function setSelected(name, on) {
    var i = selected.indexOf(name);
    if (on && i < 0) { selected.push(name); follow(name); }
    if (!on && i >= 0) { selected.splice(i, 1); unfollow(name); }
    renderRunTable();
    queueRender();
  }

  function setConnection(text) { document.getElementById("connection").textContent = text; }

  function loadRuns() {
    fetch("api/runs").then(function (r) { return r.json(); }).then(function (list) {
      summaries = list;
      if (selected.length === 0) {
        // Newest runs first: the running ones and the latest finished ones.
        var byTime = list.slice().sort(function (a, b) { return (b.lastUpdate || 0) - (a.lastUpdate || 0); });
        byTime.slice(0, MAX_AUTO_SELECTED).forEach(function (s) { setSelected(s.name, true); });
      }
      renderRunTable();
    }).catch(function () { setConnection("the dashboard server is not answering"); });
  }

  function renderRunTable() {
    var body = document.querySelector("#runs tbody");
    body.textContent = "";
    summaries.forEach(function (s) {
      var box = el("input", { type: "checkbox" });
      box.checked = selected.indexOf(s.name) >= 0;
      box.addEventListener("change", function () { setSelected(s.name, box.checked); });
      var swatch = el("span", { class: "swatch" });
      swatch.style.background = box.checked ? colorOf(s.name) : "transparent";
      var about = Object.keys(s.info || {}).map(function (k) { return k + " " + s.info[k]; }).join(" · ");
      var row = el("tr", { "data-run": s.name }, [
        el("td", null, [box]),
        el("td", null, [swatch, el("span", { text: s.name })]),
        el("td", { class: "status-" + s.status, text: s.status }),
        el("td", { text: s.epochsDone + (s.epochs ? "/" + s.epochs : "") }),
        el("td", { text: fmt(s.last.loss) }),
        el("td", { text: fmt(s.last.val_loss) }),
        el("td", { text: fmt(s.last.val_accuracy) }),
        el("td", { text: s.testAccuracy === null ? "–" : (100 * s.testAccuracy).toFixed(2) + "%" }),
        el("td", { class: "about", text: about }),
      ]);
      body.appendChild(row);
    });
  }

  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(function () { renderQueued = false; render(); });
  }

  function render() {
    renderProgress();
    renderCharts();
    renderDiagnosis();
    renderFilters();
  }

  function renderProgress() {
    var box = document.getElementById("progress");
    box.textContent = "";
    selected.forEach(function (name) {
      var run = runs[name];
      if (!run || !run.start) return;
      var total = run.start.epochs, done = run.epochs.length + run.start.initialEpoch;
      var line, value = 0, max = 1;
      if (run.end) {
        line = "finished: " + run.end.epochs + " epoch" + (run.end.epochs === 1 ? "" : "s");
        if (run.test) line += " · test accuracy " + (100 * run.test.accuracy).toFixed(2) + "%";
        value = max = 1;
      } else if (run.lastBatch && run.lastBatch.epoch >= done) {
        var b = run.lastBatch;
        line = "epoch " + (b.epoch + 1) + "/" + total + " · batch " + (b.batch + 1) + "/" + b.stepsPerEpoch +
          " · " + Math.round(b.imagesPerSecond) + " img/s · loss " + fmt(b.logs.loss);
        value = b.batch + 1; max = b.stepsPerEpoch;
      } else {
        line = "epoch " + done + "/" + total + " done" + (done < total ? " · next epoch starting…" : " · finishing…");
        value = done; max = total;
      }
      var bar = el("progress", { value: String(value), max: String(max) });
      var head = el("strong", { text: name + ": " });
      head.style.color = colorOf(name);
      box.appendChild(el("div", { class: "run-progress", "data-run": name }, [el("div", null, [head, el("span", { class: "progress-text", text: line })]), bar]));
    });
  }

  // Chart data: x values shared by all series (the union, sorted), each series null where it has no point.
  function chartData(seriesPoints) {
    var xs = {};
    seriesPoints.forEach(function (pts) { pts.forEach(function (p) { xs[p[0]] = true; }); });
    var x = Object.keys(xs).map(Number).sort(function (a, b) { return a - b; });
    var index = {};
    x.forEach(function (v, i) { index[v] = i; });
    var data = [x];
    seriesPoints.forEach(function (pts) {
      var y = x.map(function () { return null; });
      pts.forEach(function (p) { y[index[p[0]]] = p[1]; });
      data.push(y);
    });
    return data;
  }

  function epochPoints(run, key) {
    return run.epochs.filter(function (e) { return e.logs[key] !== undefined && isFinite(e.logs[key]); })
      .map(function (e) { return [e.epoch + 1, e.logs[key]]; });
  }

  function chartSpecs() {
    var metricKeys = {};
    selected.forEach(function (name) {
      var run = runs[name];
      if (!run) return;
      run.epochs.forEach(function (e) {
        Object.keys(e.logs).forEach(function (k) {
          var base = k.indexOf("val_") === 0 ? k.slice(4) : k;
          if (base !== "loss" && base !== "lr") metricKeys[base] = true;
        });
      });
    });
    var specs = [{ key: "loss", title: "loss", metric: "loss", running: true }];
    Object.keys(metricKeys).sort().forEach(function (k) { specs.push({ key: k, title: k, metric: k }); });
    specs.push({ key: "lr", title: "learning rate", metric: "lr", trainOnly: true, log: true });
    specs.push({ key: "throughput", title: "throughput (training images/s)", metric: "throughput" });
    return specs;
  }

  function seriesFor(spec) {
    var series = [], points = [];
    selected.forEach(function (name) {
      var run = runs[name];
      if (!run) return;
      var color = colorOf(name);
      if (spec.metric === "throughput") {
        series.push({ label: name, stroke: color, width: 2 });
        points.push(run.epochs.filter(function (e) { return isFinite(e.imagesPerSecond); }).map(function (e) { return [e.epoch + 1, e.imagesPerSecond]; }));
        return;
      }
      series.push({ label: name + " " + (spec.trainOnly ? "" : "train"), stroke: color, width: 2 });
      points.push(epochPoints(run, spec.metric));
      if (!spec.trainOnly) {
        series.push({ label: name + " validation", stroke: color, width: 2, dash: [6, 4] });
        points.push(epochPoints(run, "val_" + spec.metric));
      }
      if (spec.running) {
        series.push({ label: name + " running", stroke: color, width: 1, dash: [2, 3], points: { show: false } });
        points.push(run.batches.filter(function (b) { return isFinite(b.logs.loss); })
          .map(function (b) { return [b.epoch + (b.batch + 1) / b.stepsPerEpoch, b.logs.loss]; }));
      }
    });
    return { series: series, points: points };
  }

  function renderCharts() {
    var box = document.getElementById("charts");
    var specs = chartSpecs();
    var keep = {};
    specs.forEach(function (spec) {
      keep[spec.key] = true;
      var s = seriesFor(spec);
      var data = chartData(s.points);
      var signature = s.series.map(function (x) { return x.label; }).join("|");
      var chart = charts[spec.key];
      if (chart && chart.signature !== signature) { chart.destroy(); chart.box.remove(); chart = null; }
      if (!chart) {
        var holder = el("div", { class: "chart", id: "chart-" + spec.key }, [el("h3", { text: spec.title })]);
        box.appendChild(holder);
        var opts = {
          width: Math.max(300, holder.clientWidth - 16), height: 240,
          scales: { x: { time: false }, y: spec.log ? { distr: 3 } : {} },
          legend: { live: false },
          axes: [{ label: "epoch", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, {}],
          series: [{ label: "epoch" }].concat(s.series.map(function (x) { return Object.assign({ spanGaps: true, points: { show: true, size: 5 } }, x); })),
        };
        chart = new uPlot(opts, data, holder);
        chart.signature = signature;
        chart.box = holder;
        charts[spec.key] = chart;
      } else {
        chart.setData(data);
      }
      box.appendChild(chart.box); // keep the charts in the specs' order (a metric's chart appears after the first epoch)
    });
    Object.keys(charts).forEach(function (k) {
      if (!keep[k]) { charts[k].destroy(); charts[k].box.remove(); delete charts[k]; }
    });
  }

  function renderDiagnosis() {
    var box = document.getElementById("diagnosis");
    box.textContent = "";
    selected.forEach(function (name) {
      var run = runs[name];
      if (!run || !run.end || !run.end.diagnosis) return;
      var d = run.end.diagnosis;
      var items = (d.remedies || []).map(function (r) { return el("li", { text: r }); });
      var notes = (d.notes || []).map(function (n) { return el("p", { class: "muted small", text: "note: " + n }); });
      box.appendChild(el("div", { class: "verdict", "data-run": name }, [
        el("h3", { text: "Diagnosis of " + name + " (" + d.confidence + " confidence)" }),
        el("p", { class: "explanation", text: d.explanation }),
        items.length ? el("ul", null, items) : null,
      ].concat(notes)));
    });
    if (box.firstChild) box.insertBefore(el("h2", { text: "What the curves say" }), box.firstChild);
  }

  function renderFilters() {
    var box = document.getElementById("filters");
    var wanted = selected.filter(function (name) { return runs[name] && runs[name].filtersEpoch !== null; });
    var key = wanted.map(function (n) { return n + "@" + runs[n].filtersEpoch; }).join("|");
    if (box.getAttribute("data-key") === key) return; // same pictures: keep the images loaded
    box.setAttribute("data-key", key);
    box.textContent = "";
    wanted.forEach(function (name) {
      var epoch = runs[name].filtersEpoch;
      var caption = name + ": first layer's filters " + (epoch < 0 ? "as initialised" : "after epoch " + (epoch + 1));
      box.appendChild(el("figure", null, [el("img", { src: runUrl(name, "filters.png") + "?epoch=" + epoch, alt: caption }), el("figcaption", { class: "small muted", text: caption })]));
    });
  }

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].setSize({ width: Math.max(300, charts[k].box.clientWidth - 16), height: 240 }); });
  });

  // For tests and the curious: the page's state.
  window.nablaDashboard = { runs: runs, charts: charts, selected: selected, select: setSelected };
  loadRuns();
  setInterval(loadRuns, 2000);
})();
`;
