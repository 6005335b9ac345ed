/* desk: the incident page during an outage. Plain and small; the page works without it.
   - "/" or "c" (outside a field, no modifier) puts the cursor in the command box; Escape
     there leaves it; ↑ and ↓ in it go through the commands run from this tab.
   - Escape closes the open popover or inline form around the focus (or the last one opened)
     and gives focus back to its summary; a click outside an open popover closes it.
   - "Show every entry" also empties the timeline's search and filter fields. */
(function () {
  "use strict";

  var HISTORY_KEY = "incidentdesk.commands";
  var HISTORY_SIZE = 50;

  function commandInput() { return document.getElementById("command-input"); }

  function typingIn(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  function history() {
    try { return JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { return []; }
  }

  function remember(text) {
    var list = history().filter(function (t) { return t !== text; });
    list.push(text);
    try { sessionStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(-HISTORY_SIZE))); } catch (e) { /* private mode */ }
  }

  // Where ↑/↓ are in the history (-1: the line being written, kept in `draft`).
  var position = -1;
  var draft = "";

  // step -1: an older command (↑); +1: a newer one (↓), then back to the line being written.
  function browse(input, step) {
    var list = history();
    if (position === -1) {
      if (step > 0 || !list.length) return false;
      draft = input.value;
      position = list.length - 1;
    } else if (position + step < 0) {
      return true;  // the oldest stays
    } else if (position + step >= list.length) {
      position = -1;
      input.value = draft;
      return true;
    } else {
      position += step;
    }
    input.value = list[position];
    input.setSelectionRange(input.value.length, input.value.length);
    return true;
  }

  function openDisclosures() {
    return Array.prototype.slice.call(
      document.querySelectorAll("details.popover[open], details.inline-edit[open]")
    );
  }

  var lastOpened = null;

  function close(details) {
    details.open = false;
    var summary = details.querySelector(":scope > summary");
    if (summary) summary.focus();
  }

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.matches && details.matches("details.popover, details.inline-edit") && details.open) {
      lastOpened = details;
      // One status popover at a time.
      if (details.matches(".popover")) {
        openDisclosures().forEach(function (other) {
          if (other !== details && other.matches(".popover") && !other.contains(details)) other.open = false;
        });
      }
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    var input = commandInput();
    if (event.key === "Escape") {
      var around = event.target.closest && event.target.closest("details.popover[open], details.inline-edit[open]");
      var target = around || (lastOpened && lastOpened.open ? lastOpened : null);
      if (target) {
        event.preventDefault();
        close(target);
        return;
      }
      if (input && event.target === input) {
        input.blur();
      }
      return;
    }
    if (input && event.target === input && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (browse(input, event.key === "ArrowUp" ? -1 : 1)) event.preventDefault();
      return;
    }
    if ((event.key === "/" || event.key === "c") && input) {
      if (event.altKey || event.ctrlKey || event.metaKey || typingIn(event.target)) return;
      event.preventDefault();
      input.focus();
      input.scrollIntoView({ block: "nearest" });
    }
  });

  document.addEventListener("click", function (event) {
    openDisclosures().forEach(function (details) {
      if (details.matches(".popover") && !details.contains(event.target)) details.open = false;
    });
    var clear = event.target.closest && event.target.closest("[data-clear-filters]");
    if (clear) {
      var form = document.querySelector(".timeline-filter");
      if (form) {
        form.querySelectorAll("input[type=search]").forEach(function (field) { field.value = ""; });
        form.querySelectorAll("select").forEach(function (field) { field.selectedIndex = 0; });
        form.querySelectorAll("input[type=checkbox]").forEach(function (field) { field.checked = false; });
      }
    }
  });

  // Remember a command as it is sent (the form is emptied once it succeeds).
  document.addEventListener("submit", function (event) {
    var input = commandInput();
    if (input && event.target.contains(input) && input.value.trim()) {
      remember(input.value.trim());
      position = -1;
      draft = "";
    }
  }, true);

  // A form answered with its errors in place: focus its first field with an error (or the
  // sentence above it), so a keyboard or screen reader user lands on what to fix.
  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || xhr.status < 400 || xhr.status >= 500) return;
    var swapped = event.target;
    if (!swapped || !swapped.querySelector) return;
    var bad = swapped.querySelector("[aria-invalid=true]");
    if (bad) { bad.focus(); return; }
    var message = swapped.querySelector("details[open] .message-error, .status-error");
    if (message) { message.setAttribute("tabindex", "-1"); message.focus(); }
  });
})();
