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

  // The file's info panel opens as a side panel: focus moves into it, Escape or its close
  // button empties it and returns focus to the link that opened it.
  var opener = null;
  function closeInfo() {
    var info = document.getElementById("media-info");
    if (!info || !info.firstElementChild) return;
    info.innerHTML = "";
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.getAttribute && elt.getAttribute("hx-target") === "#media-info") opener = elt;
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (!evt.target || evt.target.id !== "media-info") return;
    var heading = document.getElementById("media-info-title");
    if (heading) heading.focus({ preventScroll: true });
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") closeInfo();
  });
  document.addEventListener("click", function (evt) {
    if (evt.target.closest && evt.target.closest("[data-close-media-info]")) closeInfo();
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
