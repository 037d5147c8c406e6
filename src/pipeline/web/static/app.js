// Progressive enhancement only: the UI works without it.
// A filter <select> submits its form at once, so choosing a paper or province is one step.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.search select").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
});

// The "Cite" block: the copy button (shown only where scripts run) copies the reference's text.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("cite-copy");
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById("cite-status");
  button.hidden = false;
  function done() { if (status) { status.textContent = button.getAttribute("data-done"); } }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
    done();
  }
  button.addEventListener("click", function () {
    var text = source ? source.textContent.trim() : "";
    button.setAttribute("data-copied", text);
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); });
    } else {
      fallback(text);
    }
  });
});
