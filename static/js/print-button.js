// A "Print" button works only with JavaScript, so it starts hidden and is shown here.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
