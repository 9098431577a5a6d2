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

  // A cell editor that arrives focuses its input, so Enter saves and Escape cancels at once.
  document.addEventListener("htmx:afterSwap", function (event) {
    var input = event.target.querySelector && event.target.querySelector("form.cell-form [autofocus]");
    if (input) {
      input.focus();
      if (input.select) input.select();
    }
  });
})();
