// The header's patient search (irflow/templates/base.html, form[data-patient-search]).
// htmx fetches the matches into the list below the field; this file adds the keyboard:
// "/" anywhere (but while typing) goes to the field; Arrow Down/Up move through the matches,
// Enter opens the one chosen (a link, so the browser does it); Escape closes the list.
// Without JavaScript the form submits to the search page.
(function () {
  "use strict";

  function form() {
    return document.querySelector("form[data-patient-search]");
  }

  function parts() {
    var f = form();
    if (!f) return null;
    return { form: f, input: f.querySelector("input[name=q]"), list: f.querySelector(".header-search-results") };
  }

  function links(p) {
    return Array.prototype.slice.call(p.list.querySelectorAll("a[href]"));
  }

  function typing(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    return !!target.closest("input, textarea, select, [contenteditable]");
  }

  function open(p) {
    var has = p.list.querySelector("li, p");
    p.list.hidden = !has;
  }

  function close(p, refocus) {
    p.list.hidden = true;
    if (refocus) p.input.focus();
  }

  function move(p, step) {
    var items = links(p);
    if (!items.length) return;
    if (p.list.hidden) open(p);
    var at = items.indexOf(document.activeElement);
    var next = at + step;
    if (next < 0) {
      p.input.focus();
      return;
    }
    if (next >= items.length) next = items.length - 1;
    items[next].focus();
  }

  document.addEventListener("keydown", function (event) {
    var p = parts();
    if (!p) return;
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      event.preventDefault();
      p.input.focus();
      p.input.select();
      return;
    }
    if (!p.form.contains(event.target)) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      move(p, 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      move(p, -1);
    } else if (event.key === "Escape") {
      if (!p.list.hidden) {
        event.preventDefault();
        close(p, true);
      }
    }
  });

  // A new answer: show it (or hide an empty one).
  document.addEventListener("htmx:afterSwap", function (event) {
    var p = parts();
    if (p && event.target === p.list) open(p);
  });

  // Typing again after closing with Escape shows the list again when the answer is the same.
  document.addEventListener("input", function (event) {
    var p = parts();
    if (p && event.target === p.input && !p.input.value.trim()) close(p, false);
  });

  // Focus leaving the search (a click elsewhere, Tab past the list) closes the list.
  document.addEventListener("focusout", function (event) {
    var p = parts();
    if (!p || !p.form.contains(event.target)) return;
    var to = event.relatedTarget;
    if (to && p.form.contains(to)) return;
    close(p, false);
  });

  document.addEventListener("focusin", function (event) {
    var p = parts();
    if (p && event.target === p.input && p.input.value.trim()) open(p);
  });
})();
