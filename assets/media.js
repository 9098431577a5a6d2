// Media library: upload progress, copy buttons. Loaded only on admin media pages; everything
// here is an enhancement (the forms work without it).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("htmx:xhr:progress", function (evt) {
    if (!evt.target || evt.target.id !== "upload-form") return;
    var bar = document.getElementById("upload-progress");
    var label = document.getElementById("upload-percent");
    if (!bar || !evt.detail.lengthComputable) return;
    var pct = Math.floor((evt.detail.loaded / evt.detail.total) * 100);
    bar.hidden = false;
    bar.value = pct;
    if (label) label.textContent = pct < 100 ? pct + "% sent" : "Storing…";
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    if (!evt.target || evt.target.id !== "upload-form") return;
    var bar = document.getElementById("upload-progress");
    var label = document.getElementById("upload-percent");
    if (bar) { bar.hidden = true; bar.value = 0; }
    if (label) label.textContent = "";
    if (evt.detail.successful) evt.target.reset();
  });

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest("[data-copy]") : null;
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(done, function () {});
    }
  });
})();
