/* postmortem: the writing page. Each part saves itself as its writer types (htmx, the forms'
   hx-trigger); this script only knows which forms hold text not saved yet, says "Saving…",
   warns before the page is left with unsaved text, saves the writing before another form of
   the page is sent, and shows each taxonomy term's definition. Without it every form posts. */
(function () {
  "use strict";

  var AUTOSAVE = "form[data-autosave]";
  var TRACKED = "form[data-autosave], form[data-track]";
  var waiting = null; // a form whose sending waits for the writing to be saved

  function page() { return document.querySelector(".pm-page"); }

  function statusOf(form) { return form.querySelector(".pm-save-status"); }

  // What the form says, leaving out what is not typed (the token, the fingerprints).
  function values(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name.indexOf("base.") !== 0) {
        pairs.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
      }
    });
    return pairs.join("&");
  }

  function clean(form) {
    if (form._pmClean === undefined) { form._pmClean = values(form); }
    return form._pmClean;
  }

  function dirty(form) { return values(form) !== clean(form); }

  function unsaved() {
    return Array.prototype.filter.call(document.querySelectorAll(TRACKED), function (form) {
      return dirty(form) || form._pmSending;
    });
  }

  function markInvalid(form) {
    form.querySelectorAll(".pm-field-error").forEach(function (error) {
      var bad = error.textContent.trim() !== "";
      form.querySelectorAll('[aria-describedby~="' + error.id + '"]').forEach(function (field) {
        if (bad) { field.setAttribute("aria-invalid", "true"); }
        else { field.removeAttribute("aria-invalid"); }
      });
    });
  }

  // Once every part being saved has its answer, the waiting form is sent: a part the server
  // refused stays unsaved, and leaving then asks first like any other unsaved text.
  function sendWaiting(done) {
    if (!waiting) { return; }
    waiting._pmFlushing = waiting._pmFlushing.filter(function (form) { return form !== done; });
    if (waiting._pmFlushing.length) { return; }
    var form = waiting;
    waiting = null;
    form._pmGo = true;
    form.requestSubmit(form._pmSubmitter || undefined);
  }

  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.matches(TRACKED)) {
      var status = form.matches(AUTOSAVE) && statusOf(form);
      if (status && !form._pmSending && status.textContent !== "Not saved yet") {
        status.textContent = "Not saved yet";
      }
    }
  });

  // Signing in again (in another tab) gives the browser a new CSRF token: send the current
  // one, so the text typed before can still be saved without reloading the page.
  function csrfCookie() {
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf("csrftoken=") === 0; })[0];
    return found ? decodeURIComponent(found.slice("csrftoken=".length)) : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    var token = csrfCookie();
    if (!token || !form.matches || !form.matches(AUTOSAVE)) { return; }
    event.detail.headers["X-CSRFToken"] = token;
    event.detail.parameters.set("csrfmiddlewaretoken", token);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches(AUTOSAVE)) { return; }
    form._pmSending = true;
    form._pmFailed = false;
    form._pmSent = values(form);
    if (statusOf(form)) { statusOf(form).textContent = "Saving…"; }
  });

  // Only the writing's own answer counts: a sign-in page (the session ended) or another page
  // is not swapped in, and the part stays unsaved.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt; // not the target
    if (!form || !form.matches || !form.matches(AUTOSAVE)) { return; }
    var xhr = event.detail.xhr;
    if (xhr.getResponseHeader("X-Postmortem-Answer")) { return; }
    form._pmFailed = true;
    if (xhr.getResponseHeader("HX-Retarget")) { // a toast says why (not allowed, not found)
      var told = new DOMParser().parseFromString(xhr.responseText, "text/html").querySelector(".toast span");
      if (statusOf(form)) {
        statusOf(form).textContent = "Not saved: " + (told ? told.textContent.trim() : "see the message") + ".";
      }
      return;
    }
    event.detail.shouldSwap = false;
    if (statusOf(form)) {
      statusOf(form).textContent = /\/login/.test(xhr.responseURL || "")
        ? "Not saved: you are signed out. Sign in again in another tab, then press Save; your text is still here."
        : "Not saved: the server gave an unexpected answer (" + xhr.status + "). Your text is still here; press Save to try again.";
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches(AUTOSAVE)) { return; }
    form._pmSending = false;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var ok = status >= 200 && status < 300 && !form._pmFailed;
    if (ok) {
      form._pmClean = form._pmSent;
    } else if (status === 0 && statusOf(form)) {
      statusOf(form).textContent =
        "Not saved: the server could not be reached. Your text is still here; it is saved when you type again or press Save.";
    }
    if (waiting && waiting._pmFlushing.indexOf(form) >= 0) {
      if (ok && dirty(form)) { form.requestSubmit(); } else { sendWaiting(form); }
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(AUTOSAVE);
    if (form) { markInvalid(form); }
  });

  // Another form of the page (a follow-up, the review…) leaves the page when sent: save the
  // writing first, then send it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!page() || !form.matches || form.matches(AUTOSAVE)) { return; }
    if (form._pmGo) { form._pmGo = false; form._pmClean = values(form); return; }
    var pending = unsaved().filter(function (other) { return other.matches(AUTOSAVE); });
    if (!pending.length) { form._pmClean = values(form); return; }
    event.preventDefault();
    waiting = form;
    form._pmSubmitter = event.submitter || null;
    form._pmFlushing = pending;
    pending.forEach(function (other) { if (!other._pmSending) { other.requestSubmit(); } });
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(TRACKED).forEach(clean);
  });

  window.addEventListener("beforeunload", function (event) {
    if (!page() || !unsaved().length) { return; }
    event.preventDefault();
    event.returnValue = "";
  });

  // The taxonomy picker: the chosen term's definition under its select, and one more
  // "which was caused by" once the last level is chosen.
  function showDefinition(select) {
    var out = document.getElementById(select.getAttribute("aria-describedby"));
    var option = select.options[select.selectedIndex];
    if (!out) { return; }
    out.textContent = "";
    if (option && option.value) {
      var key = document.createElement("strong");
      key.textContent = option.value;
      out.appendChild(key);
      out.appendChild(document.createTextNode(": " + option.getAttribute("data-definition")));
    }
  }

  function addLevel(select) {
    var level = select.closest(".pm-tax-level");
    if (!select.value || level.nextElementSibling && level.nextElementSibling.matches(".pm-tax-level")) { return; }
    var index = level.parentNode.querySelectorAll(".pm-tax-level").length;
    var copy = level.cloneNode(true);
    var picker = copy.querySelector("select");
    var label = copy.querySelector("label");
    picker.id = "tax-" + index;
    picker.value = "";
    picker.setAttribute("aria-describedby", "tax-def-" + index);
    label.setAttribute("for", picker.id);
    label.innerHTML = "…which was caused by (then) <span class=\"muted\">(optional)</span>";
    copy.querySelector(".pm-term-def").id = "tax-def-" + index;
    copy.querySelector(".pm-term-def").textContent = "";
    level.parentNode.insertBefore(copy, level.nextElementSibling);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-term-picker]")) {
      showDefinition(event.target);
      addLevel(event.target);
    }
  });
}());
