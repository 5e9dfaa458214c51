// An export's page while its file is being made: ask how far it has got every two seconds,
// move the bar, and reload once it is finished, to show the download link or why it failed.
// Without JavaScript, a <noscript> meta refresh reloads the page instead.
(() => {
  const box = document.getElementById("export-progress");
  if (!box || box.dataset.finished === "true") return;
  const bar = document.getElementById("export-bar");
  const fill = bar ? bar.querySelector(".progress-bar") : null;
  const rows = document.getElementById("export-rows");
  const label = document.getElementById("export-status-label");
  const number = new Intl.NumberFormat("en-GB");
  let failures = 0;

  const poll = async () => {
    try {
      const response = await fetch(box.dataset.progressUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const progress = await response.json();
      failures = 0;
      if (progress.finished) {
        window.location.reload();
        return;
      }
      if (label) label.textContent = progress.status_label;
      if (rows) {
        rows.textContent = `${number.format(progress.rows_done)} of ${number.format(progress.rows_total)}`;
      }
      if (bar && fill) {
        bar.setAttribute("aria-valuenow", String(progress.percent));
        fill.style.width = `${progress.percent}%`;
        fill.textContent = `${progress.percent}%`;
      }
    } catch (error) {
      // A dropped connection or a restart: keep trying a while, then let the page reload.
      failures += 1;
      if (failures >= 5) {
        window.location.reload();
        return;
      }
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 1000);
})();
