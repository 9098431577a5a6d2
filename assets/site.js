// FlashStudio: the few behaviours htmx attributes cannot express under a strict CSP
// (no inline scripts, no eval). Everything here is an enhancement; pages work without it.
(function () {
  "use strict";

  // Quick view: a close button, and Escape, empty the panel.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (!button) return;
    var panel = document.getElementById(button.getAttribute("data-dismiss"));
    if (panel) panel.replaceChildren();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    // Inline-edit cell: Escape cancels (asks the server for the display cell again).
    var cellForm = event.target.closest && event.target.closest("form.cell-form");
    if (cellForm) {
      var cancel = cellForm.querySelector("[data-cancel]");
      if (cancel) {
        event.preventDefault();
        cancel.click();
      }
      return;
    }
    var panel = document.getElementById("quick-view");
    if (panel && panel.firstElementChild) panel.replaceChildren();
  });

  // Disclosures that are always open on wide screens (the main menu, the shop's filters): the
  // stylesheet shows their content there without JS; with JS they are really open, so that
  // assistive technology and find-in-page see what the eye sees.
  [[".nav-menu", "(min-width: 60rem)"], [".filters-disclosure", "(min-width: 56.25rem)"]].forEach(function (pair) {
    var wide = window.matchMedia(pair[1]);
    var apply = function () {
      document.querySelectorAll(pair[0]).forEach(function (details) {
        if (wide.matches) details.open = true;
        else if (pair[0] === ".nav-menu") details.open = false;
      });
    };
    apply();
    wide.addEventListener("change", apply);
  });

  // A refund's confirmation dialog says how much and why (the no-JS path has a page for it).
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target.closest && event.target.closest("form[data-confirm-refund]");
    if (!form) return;
    event.preventDefault();
    var amount = (form.querySelector("[name=amount]") || {}).value || "";
    var reason = (form.querySelector("[name=reason]") || {}).value || "";
    var question = "Refund " + form.getAttribute("data-confirm-refund") + " " + amount.trim() +
      (reason.trim() ? " (" + reason.trim() + ")" : "") +
      "? The money goes back to the customer and this cannot be undone.";
    if (window.confirm(question)) event.detail.issueRequest(true);
  });

  // The home page's showreel: a muted loop over its poster, started only for visitors who have
  // not asked for reduced motion or to save data, paused while off screen, and with a button
  // to stop it (and start it again). Without JS the poster stays.
  var reel = document.querySelector("video[data-showreel]");
  if (reel) {
    var calm = window.matchMedia("(prefers-reduced-motion: reduce)");
    var saving = !!(navigator.connection && navigator.connection.saveData);
    var toggle = document.querySelector("[data-reel-toggle]");
    var stopped = false; // by the visitor
    var visible = true;
    var label = function () {
      if (toggle) toggle.textContent = reel.paused ? "Play the showreel" : "Pause the showreel";
    };
    var play = function () {
      if (calm.matches || saving || stopped || !visible) return;
      var started = reel.play();
      if (started && started.catch) started.catch(function () {});
    };
    reel.addEventListener("playing", function () {
      reel.classList.add("is-playing");
      if (toggle) toggle.hidden = false;
      label();
    });
    reel.addEventListener("pause", label);
    if (toggle) {
      toggle.addEventListener("click", function () {
        stopped = !reel.paused;
        if (stopped) reel.pause();
        else play();
      });
    }
    calm.addEventListener("change", function () {
      if (calm.matches) reel.pause();
      else play();
    });
    if ("IntersectionObserver" in window) {
      new IntersectionObserver(function (entries) {
        visible = entries[0].isIntersecting;
        if (visible) play();
        else reel.pause();
      }).observe(reel);
    }
    play();
  }

  // Booking times are the studio's; a visitor in another time zone also sees each time in
  // their own (the server cannot know the zone; without JS the studio's zone alone).
  var localTimes = function (root) {
    var picker = root.querySelector && root.querySelector("[data-studio-zone]");
    if (!picker || !window.Intl) return;
    var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!mine || mine === picker.getAttribute("data-studio-zone")) return;
    var format = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone: mine });
    picker.querySelectorAll("[data-start-utc]").forEach(function (el) {
      if (el.querySelector(".local-time")) return;
      var span = document.createElement("span");
      span.className = "local-time";
      span.textContent = format.format(new Date(Number(el.getAttribute("data-start-utc")) * 1000));
      el.appendChild(span);
    });
    var note = picker.querySelector(".local-zone-note");
    if (note) {
      note.textContent = "The smaller time under each is yours (" + mine + ").";
      note.hidden = false;
    }
  };
  localTimes(document);
  document.addEventListener("htmx:afterSwap", function () {
    localTimes(document);
  });

  // A cell editor that arrives focuses its input, so Enter saves and Escape cancels at once.
  document.addEventListener("htmx:afterSwap", function (event) {
    var input = event.target.querySelector && event.target.querySelector("form.cell-form [autofocus]");
    if (input) {
      input.focus();
      if (input.select) input.select();
    }
  });
  // The screening room: "Use the current time" writes the film's position into a comment's
  // time (and pauses it); a comment's time code moves the film there. Without JS the client
  // types the time and the time code scrolls to the player.
  var timeCode = function (seconds) {
    var total = Math.max(0, Math.floor(seconds));
    var h = Math.floor(total / 3600), m = Math.floor(total / 60) % 60, s = total % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h > 0 ? h + ":" + two(m) : two(m)) + ":" + two(s);
  };
  document.querySelectorAll("[data-current-time]").forEach(function (button) {
    button.hidden = false;
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-current-time]");
    var seek = event.target.closest("[data-seek]");
    var holder = (button || seek) && (button || seek).closest(".deliverable");
    var video = holder && holder.querySelector("video");
    if (!video) return;
    if (button) {
      var input = document.getElementById(button.getAttribute("data-current-time"));
      if (!input) return;
      video.pause();
      input.value = timeCode(video.currentTime);
      var body = holder.querySelector("textarea[name=body]");
      if (body) body.focus();
    } else {
      event.preventDefault();
      video.currentTime = Number(seek.getAttribute("data-seek")) || 0;
      video.focus();
      video.play().catch(function () {});
    }
  });
})();
