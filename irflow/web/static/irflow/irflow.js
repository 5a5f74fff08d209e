// irflow's own behaviour, kept small. No inline scripts anywhere (CSP).
// The markup it reads and the answers it expects: docs/architecture.md, "Forms and autosave".
(function () {
  "use strict";

  var AUTH_HEADER = "X-Irflow-Auth";
  var SAVED_AT_HEADER = "X-Irflow-Saved-At";
  var MSG_UNREACHABLE = "irflow could not be reached. Check the connection and try again.";
  var MSG_SIGNIN_FAILED = "Signing in did not work. Reload the page and try again.";

  // Requests that met an ended session, waiting (by the element that made them) to be sent
  // again once the user has signed in; the last request each element made.
  var held = new Map();
  var lastRequest = new WeakMap();
  var renewed = new WeakSet();
  var signedOut = false;
  var heldSubmit = null;
  var approvedSubmits = new WeakSet();
  var checkingSubmits = new WeakSet();
  var dialogToken = "";
  var opening = false;
  // "Not now": autosaves then wait quietly (their state offers Sign in) instead of asking again.
  var dismissed = false;
  var returnFocus = null;

  function pageUser() {
    return document.body.getAttribute("data-user") || "";
  }

  function dialog() {
    return document.getElementById("signin-dialog");
  }

  function isBackground(elt) {
    return !!(elt && elt.hasAttribute && elt.hasAttribute("data-background"));
  }

  function autosaveGroup(elt) {
    var group = elt && elt.closest ? elt.closest("[data-autosave]") : null;
    // A swap may have replaced the group: carry on with the one now on the page.
    if (group && !document.body.contains(group) && group.id) {
      return document.getElementById(group.id);
    }
    return group;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // --- The CSRF token: hx-headers on <body> for htmx, the hidden input of each form.

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function setCsrfToken(token) {
    if (!token) return;
    var headers = {};
    try {
      headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (e) {
      headers = {};
    }
    headers["X-CSRFToken"] = token;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
    document.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) {
      input.value = token;
    });
  }

  function sessionState() {
    var dlg = dialog();
    if (!dlg) return Promise.reject(new Error("no sign-in dialog on this page"));
    return fetch(dlg.getAttribute("data-session-url"), {
      credentials: "same-origin",
      cache: "no-store",
      // Asking is not activity: it must not keep an idle session alive.
      headers: { Accept: "application/json", "X-Irflow-Background": "1" },
    }).then(function (response) {
      if (!response.ok) throw new Error("session " + response.status);
      return response.json();
    });
  }

  // --- Autosave states: Saving…, Saved hh:mm, Not saved (with Retry or Sign in).

  var STATE_TAGS = {
    saving: "tag-info",
    saved: "tag-ok",
    invalid: "tag-bad",
    failed: "tag-bad",
    "signed-out": "tag-warn",
  };

  function showState(group, kind, text, action) {
    var el = group && group.querySelector(".save-state");
    if (!el) return;
    el.textContent = "";
    el.setAttribute("data-state", kind);
    var tag = document.createElement("span");
    tag.className = "tag " + STATE_TAGS[kind];
    tag.textContent = text;
    el.appendChild(tag);
    if (action) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "save-action";
      button.textContent = action.label;
      button.addEventListener("click", action.run);
      el.appendChild(button);
    }
  }

  // The server said nothing itself (its answer did not replace the state): ours stands.
  function stateUntold(group) {
    var el = group.querySelector(".save-state");
    return !!el && (el.getAttribute("data-state") === "saving" || !el.textContent.trim());
  }

  function savedAt(xhr) {
    var at = xhr.getResponseHeader(SAVED_AT_HEADER);
    if (at) return at;
    var date = new Date(xhr.getResponseHeader("Date") || Date.now());
    if (isNaN(date.getTime())) date = new Date();
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function resend(elt) {
    var request = lastRequest.get(elt);
    if (!request || !document.body.contains(elt)) return;
    // Sent again after a pause: drawn afresh, not answered "unchanged" (304).
    elt.removeAttribute("data-etag");
    // Values are gathered now: what was typed while signed out goes too.
    var sent = htmx.ajax(request.verb, request.path, { source: elt });
    if (sent && sent.catch) sent.catch(function () {});
  }

  // --- Signed out: hold the request, pause background refreshes, ask the user to sign in.

  function pause(elt) {
    elt.setAttribute("data-paused", "");
    if (elt.querySelector(":scope > .paused-notice")) return;
    var notice = document.createElement("p");
    notice.className = "paused-notice";
    notice.setAttribute("role", "status");
    var text = document.createElement("span");
    text.textContent = "Signed out — sign in to resume updates.";
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Sign in";
    button.addEventListener("click", openDialog);
    notice.appendChild(text);
    notice.appendChild(button);
    elt.insertBefore(notice, elt.firstChild);
  }

  function unpause(elt) {
    elt.removeAttribute("data-paused");
    var notice = elt.querySelector(":scope > .paused-notice");
    if (notice) notice.remove();
  }

  function hold(elt, verb, path) {
    signedOut = true;
    lastRequest.set(elt, { verb: verb, path: path });
    held.set(elt, { verb: verb, path: path });
    if (isBackground(elt)) {
      pause(elt);
      return;
    }
    var group = autosaveGroup(elt);
    if (group && verb !== "get") {
      showState(group, "signed-out", "Not saved — signed out", {
        label: "Sign in",
        run: openDialog,
      });
      if (dismissed) return;
    }
    openDialog();
  }

  function signedIn() {
    signedOut = false;
    dismissed = false;
    var waiting = Array.from(held.entries());
    held.clear();
    waiting.forEach(function (entry) {
      unpause(entry[0]);
      lastRequest.set(entry[0], entry[1]);
      resend(entry[0]);
    });
    if (heldSubmit) {
      var submit = heldSubmit;
      heldSubmit = null;
      submitNow(submit.form, submit.submitter);
    }
  }

  // A refused CSRF token: the session may still be this user's (signed in again in another
  // tab); then a fresh token is all it takes.
  function renewToken(elt, verb, path) {
    lastRequest.set(elt, { verb: verb, path: path });
    if (renewed.has(elt)) {
      renewed.delete(elt);
      hold(elt, verb, path);
      return;
    }
    renewed.add(elt);
    sessionState().then(
      function (state) {
        if (state.signed_in && state.username === pageUser()) {
          setCsrfToken(state.csrf_token);
          resend(elt);
        } else {
          hold(elt, verb, path);
        }
      },
      function () {
        hold(elt, verb, path);
      }
    );
  }

  // --- The sign-in dialog (web/_signin_dialog.html).

  function field(form, name) {
    return form.querySelector('[name="' + name + '"]');
  }

  function clearErrors(dlg) {
    var box = dlg.querySelector("[data-signin-error]");
    box.hidden = true;
    box.textContent = "";
    dlg.querySelectorAll("[data-error-for]").forEach(function (p) {
      p.hidden = true;
      p.textContent = "";
      var input = field(dlg, p.getAttribute("data-error-for"));
      if (input) input.removeAttribute("aria-invalid");
    });
  }

  function showErrors(dlg, answer) {
    clearErrors(dlg);
    var errors = answer.errors || {};
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var p = dlg.querySelector('[data-error-for="' + name + '"]');
      var input = field(dlg, name);
      if (name === "code") dlg.querySelector("[data-code-field]").hidden = false;
      if (!p || !input) return;
      p.textContent = errors[name].join(" ");
      p.hidden = false;
      input.setAttribute("aria-invalid", "true");
      if (name === "password") input.value = "";
      first = first || input;
    });
    if (!Object.keys(errors).length) {
      var box = dlg.querySelector("[data-signin-error]");
      box.textContent = answer.detail || MSG_SIGNIN_FAILED;
      box.hidden = false;
    }
    (first || field(dlg, "password")).focus();
  }

  function showDialog(dlg) {
    if (dlg.open) return;
    var form = dlg.querySelector("form");
    clearErrors(dlg);
    form.hidden = false;
    dlg.querySelector("[data-signin-other]").hidden = true;
    field(form, "password").value = "";
    field(form, "code").value = "";
    var username = field(form, "username");
    if (!username.value) username.value = pageUser();
    returnFocus = document.activeElement;
    dlg.showModal();
    (username.value ? field(form, "password") : username).focus();
  }

  function openDialog() {
    var dlg = dialog();
    if (!dlg) {
      window.location.reload();
      return;
    }
    if (dlg.open || opening) return;
    opening = true;
    sessionState().then(
      function (state) {
        opening = false;
        dialogToken = state.csrf_token;
        if (state.signed_in && state.username === pageUser()) {
          setCsrfToken(state.csrf_token);
          signedIn();
          return;
        }
        showDialog(dlg);
      },
      function () {
        opening = false;
        showDialog(dlg);
      }
    );
  }

  function otherUser(dlg, detail) {
    held.clear();
    heldSubmit = null;
    dlg.querySelector("form").hidden = true;
    var other = dlg.querySelector("[data-signin-other]");
    other.querySelector("[data-signin-other-text]").textContent = detail;
    other.hidden = false;
    other.querySelector("a").focus();
  }

  function submitSignIn(event) {
    event.preventDefault();
    var dlg = dialog();
    var form = event.target;
    var button = form.querySelector('button[type="submit"]');
    var data = new FormData(form);
    data.set("expected", pageUser());
    button.disabled = true;
    fetch(dlg.getAttribute("data-session-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": dialogToken || csrfToken() },
    })
      .then(function (response) {
        return response.json().then(
          function (body) {
            return { status: response.status, body: body };
          },
          function () {
            return { status: response.status, body: {} };
          }
        );
      })
      .then(
        function (answer) {
          button.disabled = false;
          var body = answer.body;
          if (body.csrf_token) dialogToken = body.csrf_token;
          if (answer.status !== 200 || !body.signed_in) {
            showErrors(dlg, body);
            return;
          }
          if (body.same_user === false) {
            otherUser(dlg, body.detail);
            return;
          }
          setCsrfToken(body.csrf_token);
          dlg.close();
          signedIn();
        },
        function () {
          button.disabled = false;
          showErrors(dlg, { detail: MSG_UNREACHABLE });
        }
      );
  }

  function setUpDialog() {
    var dlg = dialog();
    if (!dlg) return;
    dlg.querySelector("form").addEventListener("submit", submitSignIn);
    dlg.querySelector("[data-signin-later]").addEventListener("click", function () {
      dlg.close();
    });
    dlg.addEventListener("close", function () {
      // Closed without signing in ("Not now", Escape).
      if (signedOut) dismissed = true;
      // Back to where the user was typing. Chromium restores focus but not typing into a
      // text area after a modal dialog; focusing it again does.
      var back = returnFocus;
      returnFocus = null;
      if (back && back !== document.body && document.body.contains(back)) {
        setTimeout(function () {
          back.blur();
          back.focus();
        }, 0);
      }
    });
  }

  // --- Forms posted the ordinary way: check the session first, so that a form sent after
  // the session ended waits for the sign-in instead of losing what was typed.

  function submitNow(form, submitter) {
    approvedSubmits.add(form);
    if (submitter && submitter.form === form) form.requestSubmit(submitter);
    else form.requestSubmit();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !pageUser() || !dialog()) return;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    if (form.hasAttribute("data-no-session-check") || form.closest("dialog")) return;
    if (approvedSubmits.has(form)) {
      approvedSubmits.delete(form);
      return;
    }
    event.preventDefault();
    if (checkingSubmits.has(form)) return;
    checkingSubmits.add(form);
    var submitter = event.submitter;
    sessionState().then(
      function (state) {
        checkingSubmits.delete(form);
        if (state.signed_in && state.username === pageUser()) {
          setCsrfToken(state.csrf_token);
          submitNow(form, submitter);
          return;
        }
        signedOut = true;
        heldSubmit = { form: form, submitter: submitter };
        openDialog();
      },
      function () {
        checkingSubmits.delete(form);
        submitNow(form, submitter);
      }
    );
  });

  // --- htmx.

  document.addEventListener("htmx:configRequest", function (event) {
    // Background refreshes (hx-trigger="every ...") do not count as activity for the idle
    // timeout.
    if (isBackground(event.detail.elt)) {
      event.detail.headers["X-Irflow-Background"] = "1";
    }
    // A refresh names what it shows (data-etag): the server answers 304 while that holds.
    var tag = event.detail.elt.getAttribute && event.detail.elt.getAttribute("data-etag");
    if (tag && event.detail.verb === "get") {
      event.detail.headers["If-None-Match"] = tag;
    }
  });

  // While signed out, requests wait here instead of going out to be refused.
  document.addEventListener("htmx:confirm", function (event) {
    if (!signedOut) return;
    event.preventDefault();
    hold(event.detail.elt, event.detail.verb, event.detail.path);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig;
    lastRequest.set(config.elt, { verb: config.verb, path: config.path });
    var group = autosaveGroup(config.elt);
    if (group && config.verb !== "get") showState(group, "saving", "Saving…");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var xhr = detail.xhr;
    var config = detail.requestConfig;
    var marker = xhr.getResponseHeader(AUTH_HEADER);
    if (xhr.status === 304) {
      // Nothing changed: what is shown stays; say when it was last checked.
      detail.shouldSwap = false;
      detail.isError = false;
      var checked = config.elt.querySelector && config.elt.querySelector("[data-checked]");
      if (checked) {
        var at = new Date();
        checked.textContent = pad(at.getHours()) + ":" + pad(at.getMinutes()) + ":" + pad(at.getSeconds());
      }
    } else if (xhr.status === 401 && marker === "signed-out") {
      detail.shouldSwap = false;
      detail.isError = false;
      hold(config.elt, config.verb, config.path);
    } else if (xhr.status === 403 && marker === "csrf") {
      detail.shouldSwap = false;
      detail.isError = false;
      renewToken(config.elt, config.verb, config.path);
    } else if ((xhr.status === 422 || xhr.status === 409) && autosaveGroup(config.elt)) {
      // The server explains why it did not save: show its answer (field messages).
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  // A button's request (not an autosave) that the server could not carry out — the network
  // down, or a 5xx such as the database being away — would otherwise change nothing on the
  // page: say beside the form that nothing was saved; what was entered is still there.
  function sayIfNotSaved(elt, status) {
    var form = elt && elt.closest ? elt.closest("form") || elt : null;
    if (!form || !form.parentNode) return;
    var previous = form.previousElementSibling;
    if (previous && previous.classList.contains("not-saved")) previous.remove();
    if (status !== 0 && status < 500) return;
    var note = document.createElement("p");
    note.className = "msg msg-error not-saved";
    note.setAttribute("role", "alert");
    note.textContent =
      (status === 0 ? "Not saved: irflow could not be reached." : "Not saved: irflow could not do it just now.") +
      " Nothing has changed; try again in a moment.";
    form.parentNode.insertBefore(note, form);
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var config = event.detail.requestConfig;
    if (!config || config.verb === "get") return;
    var group = autosaveGroup(config.elt);
    if (!group) {
      sayIfNotSaved(config.elt, event.detail.xhr.status);
      return;
    }
    var xhr = event.detail.xhr;
    var status = xhr.status;
    var marker = xhr.getResponseHeader(AUTH_HEADER);
    if ((status === 401 && marker === "signed-out") || (status === 403 && marker === "csrf")) {
      return;
    }
    renewed.delete(config.elt);
    if (status >= 200 && status < 300) {
      if (stateUntold(group)) showState(group, "saved", "Saved " + savedAt(xhr));
    } else if (status === 422 || status === 409) {
      if (stateUntold(group)) showState(group, "invalid", "Not saved");
    } else {
      // Network down, the server failing (5xx) or refusing (4xx): say so, offer to retry.
      var elt = config.elt;
      showState(group, "failed", "Not saved", {
        label: "Retry",
        run: function () {
          resend(elt);
        },
      });
    }
  });

  // --- Barcode scanners type the code, then Enter: in a field marked data-scan, Enter never
  // submits the form; it tells the field's own htmx request to run now ("scanned").
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field || !field.hasAttribute || !field.hasAttribute("data-scan")) {
      return;
    }
    event.preventDefault();
    field.dispatchEvent(new CustomEvent("scanned", { bubbles: true }));
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpDialog);
  } else {
    setUpDialog();
  }
})();
