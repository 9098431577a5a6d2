// Resumable uploads on the project page. A file goes to /api/uploads (tus 1.0) in pieces with
// tus-js-client (vendored, assets/vendor/tus-js-client): a progress bar, Pause and Resume,
// retries through a dropped network, and, after a reload, choosing the same file again goes on
// where it stopped. When the last byte is in, the form adds the file as the deliverable's new
// version. Without JavaScript this box stays hidden and the form's list of library files does
// the same job.
(function () {
  "use strict";
  if (!window.tus || !window.tus.isSupported) return;

  var GiB = 1024 * 1024 * 1024;
  var MiB = 1024 * 1024;

  function size(n) {
    return n >= GiB ? (n / GiB).toFixed(2) + " GiB" : (n / MiB).toFixed(1) + " MiB";
  }

  // The sentence our JSON error carries, else the library's own.
  function reason(err) {
    var response = err && err.originalResponse;
    if (response) {
      try {
        var body = JSON.parse(response.getBody());
        if (body && body.error && body.error.message) return body.error.message;
      } catch (e) { /* not our JSON: fall through */ }
    }
    return "the connection failed";
  }

  function setUp(box) {
    var form = box.closest("form");
    var input = box.querySelector("input[type=file]");
    var start = box.querySelector("[data-start]");
    var pause = box.querySelector("[data-pause]");
    var bar = box.querySelector("progress");
    var status = box.querySelector("[data-status]");
    var select = form.querySelector("select[name=media]");
    var csrf = form.querySelector("input[name=csrf_token]");
    var upload = null;

    function say(text) { status.textContent = text; }
    function running(yes) {
      start.hidden = yes;
      pause.hidden = !yes;
      input.disabled = yes;
    }

    function begin(file) {
      upload = new window.tus.Upload(file, {
        endpoint: "/api/uploads",
        chunkSize: 64 * MiB,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
        headers: { "X-CSRF-Token": csrf ? csrf.value : "" },
        metadata: {
          filename: file.name,
          filetype: file.type,
          tag: box.getAttribute("data-tag") || ""
        },
        removeFingerprintOnSuccess: true,
        onProgress: function (sent, total) {
          var pct = Math.floor((sent / total) * 1000) / 10;
          bar.value = pct;
          say(pct + "% sent: " + size(sent) + " of " + size(total));
        },
        onError: function (err) {
          running(false);
          start.textContent = "Resume";
          say("The upload stopped: " + reason(err) + ". Choose Resume to go on.");
        },
        onSuccess: function () {
          running(false);
          bar.value = 100;
          var id = upload.url.split("/").pop();
          var option = document.createElement("option");
          option.value = id;
          option.textContent = file.name;
          select.appendChild(option);
          select.value = id;
          say("Uploaded. Adding it as the new version…");
          form.submit();
        }
      });
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          upload.resumeFromPreviousUpload(previous[0]);
          say("Going on with the earlier upload of this file…");
        }
        upload.start();
        running(true);
      });
    }

    box.hidden = false;
    input.addEventListener("change", function () {
      upload = null;
      start.textContent = "Upload";
      start.disabled = !input.files.length;
      bar.value = 0;
      say("");
    });
    start.addEventListener("click", function () {
      if (upload) {
        upload.start();
        running(true);
        say("Resuming…");
        return;
      }
      if (input.files.length) begin(input.files[0]);
    });
    pause.addEventListener("click", function () {
      if (!upload) return;
      upload.abort();
      running(false);
      start.textContent = "Resume";
      say("Paused at " + bar.value + "%. Resume when you are ready: what was sent is kept.");
    });
  }

  document.querySelectorAll("[data-resumable]").forEach(setUp);
})();
