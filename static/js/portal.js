// After a page reloads to #an-item (e.g. once a course moved), put keyboard focus there too.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.location.hash) return;
  const target = document.getElementById(window.location.hash.slice(1));
  if (target) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: false });
  }
});

// Forms that undo something others rely on ask first (data-confirm="question").
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// Progress bars carry their width as data-percent: the content security policy refuses
// style attributes, but a width set through the CSSOM is allowed.
document.querySelectorAll(".progress-bar[data-percent]").forEach((bar) => {
  bar.style.width = `${Number(bar.dataset.percent) || 0}%`;
});
