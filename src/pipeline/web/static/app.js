// Progressive enhancement only: the UI works without it.
// A filter <select> submits its form at once, so choosing a paper or province is one step.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.search select").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
});
