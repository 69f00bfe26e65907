// The dashboard page. Kept as a string module (like app-js.ts and style-css.ts) so that it is
// found the same way from src/ (tsx) and from the compiled dist/, with no files to copy.

export const INDEX_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nabla dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="vendor/uPlot.min.css">
<link rel="stylesheet" href="style.css">
</head>
<body>
<header>
  <h1>nabla <span class="light">dashboard</span></h1>
  <span id="connection" class="muted">connecting…</span>
</header>
<main>
  <section id="runs-section">
    <h2>Runs</h2>
    <table id="runs">
      <thead><tr><th></th><th>run</th><th>status</th><th>epochs</th><th>loss</th><th>val_loss</th><th>val_accuracy</th><th>test accuracy</th><th>about</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="muted small">Tick runs to compare them: each run has its colour; training curves are solid, validation curves dashed, the running loss inside an epoch dotted.</p>
  </section>
  <section id="progress"></section>
  <section id="charts"></section>
  <section id="diagnosis"></section>
  <section id="filters"></section>
</main>
<script src="vendor/uPlot.iife.min.js"></script>
<script src="app.js"></script>
</body>
</html>
`;
