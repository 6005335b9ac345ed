/* Live pages (incidents/live.py, incidents/_live.html): the poller, swaps that never destroy what
   the reader is doing, moments that keep moving, and toasts that leave by themselves. Every
   page works without it: the server draws the right text first. */
(function () {
  "use strict";

  // --- The poller: the version the page shows, its filters, only while the tab is visible ---

  function poller() { return document.getElementById("live"); }

  document.addEventListener("htmx:configRequest", function (event) {
    const elt = event.detail.elt;
    if (elt.id !== "live" || !elt.hasAttribute("data-live-version")) return;
    const params = event.detail.parameters;
    if (elt.dataset.liveParams === "location" || elt.getAttribute("hx-include")) {
      new URLSearchParams(window.location.search).forEach(function (value, name) {
        if (params[name] === undefined) params[name] = value;
      });
    }
    params.v = elt.dataset.liveVersion;
    // The newest entry shown: when only entries were written since, only those come back.
    const newest = document.querySelector('#timeline ol.timeline > li[id^="entry-"]');
    if (newest) params.after = newest.id.slice("entry-".length);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "live" && document.visibilityState !== "visible") {
      event.preventDefault(); // a hidden tab asks nothing; it asks at once when shown again
    }
  });

  document.addEventListener("visibilitychange", function () {
    const elt = poller();
    if (document.visibilityState === "visible" && elt && window.htmx) htmx.trigger(elt, "live:now");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    const elt = event.detail.elt;
    current = elt; // the element whose request this answer is (see isBusy)
    if (elt.id !== "live") return;
    const status = event.detail.xhr.status;
    const version = event.detail.xhr.getResponseHeader("X-Live-Version");
    if (version !== null) elt.dataset.liveVersion = version;
    if (status === 401 || status === 403 || status === 404) {
      // The page may no longer be shown: say so in the poller's place, which stops it.
      event.detail.shouldSwap = true;
      event.detail.swapOverride = "outerHTML";
      event.detail.selectOverride = "#live";
      elt.hidden = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function () { current = null; tryPending(); });
  document.addEventListener("htmx:afterRequest", function () { current = null; });

  // --- Swaps that keep what the reader is doing ---
  // A part swapped out of band (a panel of the incident page, the list's results) that holds
  // the focus, a control with unsaved input, an open <details> or popover, or selected text is
  // busy. The busy element is kept, moved into the new part, when the new part has its place
  // (the closest element with an id around it); otherwise the part is not swapped now and the
  // newest version of it waits (pending) until the reader is done with it.

  let current = null;
  const pending = new Map();

  function dirty(control) {
    if (control.disabled) return false;
    if (control.type === "checkbox" || control.type === "radio") {
      return control.checked !== control.defaultChecked;
    }
    if (control.tagName === "SELECT") {
      const options = Array.prototype.slice.call(control.options);
      const drawn = options.filter(function (o) { return o.defaultSelected; });
      if (!drawn.length) return control.selectedIndex > 0; // drawn with the first chosen
      return options.some(function (o) { return o.selected !== o.defaultSelected; });
    }
    if (/^(hidden|submit|button|reset|image|file)$/.test(control.type)) return false;
    return control.value !== control.defaultValue;
  }

  function openPopover(el) {
    try { return el.matches(":popover-open"); } catch (e) { return false; }
  }

  function busyElements(root) {
    const found = [];
    const submitted = current && (current.closest("form") || current);
    function add(el) {
      if (submitted && (submitted.contains(el) || el.contains(submitted))) return; // just sent
      if (found.indexOf(el) < 0) found.push(el);
    }
    const active = document.activeElement;
    if (active && active !== root && active !== document.body && root.contains(active)) add(active);
    root.querySelectorAll("input, textarea, select").forEach(function (c) { if (dirty(c)) add(c); });
    root.querySelectorAll("details[open]").forEach(add);
    root.querySelectorAll("[popover]").forEach(function (p) { if (openPopover(p)) add(p); });
    const selection = window.getSelection && window.getSelection();
    if (selection && !selection.isCollapsed && root.contains(selection.anchorNode)) {
      const node = selection.anchorNode.nodeType === 1 ? selection.anchorNode : selection.anchorNode.parentElement;
      if (node) add(node);
    }
    return found;
  }

  // The part of `root` around `el` that the new part `fresh` has too (by id), or null.
  function keepable(el, root, fresh) {
    for (let node = el; node && node !== root; node = node.parentElement) {
      if (node.id && fresh.querySelector("#" + CSS.escape(node.id))) return node;
    }
    return null;
  }

  let focus = null;

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const target = event.detail.target;
    const fragment = event.detail.fragment;
    const fresh = fragment.firstElementChild;
    if (!fresh || fresh.id !== target.id) return; // added to (new entries on top), not replaced
    const busy = busyElements(target);
    pending.delete(target.id);
    if (!busy.length) return;
    const kept = busy.map(function (el) { return keepable(el, target, fragment); });
    if (kept.indexOf(null) >= 0) {
      // Not now: the newest version of this part waits for the reader (tryPending).
      event.detail.shouldSwap = false;
      if (target.id) pending.set(target.id, fresh.cloneNode(true));
      return;
    }
    const active = document.activeElement;
    if (active && target.contains(active)) {
      focus = { el: active, start: active.selectionStart, end: active.selectionEnd };
    }
    kept.forEach(function (el) {
      if (!target.contains(el)) return; // inside another kept one, moved with it
      const place = fragment.querySelector("#" + CSS.escape(el.id));
      if (place) place.replaceWith(el);
    });
  });

  document.addEventListener("htmx:oobAfterSwap", restoreFocus);
  document.addEventListener("htmx:afterSettle", restoreFocus);

  function restoreFocus() {
    if (!focus) return;
    const kept = focus;
    focus = null;
    if (!kept.el.isConnected || document.activeElement === kept.el) return;
    kept.el.focus({ preventScroll: true });
    if (typeof kept.start === "number" && kept.el.setSelectionRange) {
      try { kept.el.setSelectionRange(kept.start, kept.end); } catch (e) { /* not a text field */ }
    }
  }

  let pendingTimer = 0;
  function tryPending() {
    if (!pending.size) return;
    clearTimeout(pendingTimer);
    pendingTimer = setTimeout(function () {
      pending.forEach(function (fresh, id) {
        const target = document.getElementById(id);
        if (!target) { pending.delete(id); return; }
        if (busyElements(target).length) return;
        pending.delete(id);
        target.replaceWith(fresh);
        // What it shows may be older than what was added meanwhile: ask for all of it again.
        const elt = poller();
        if (elt && elt.hasAttribute("data-live-version")) elt.dataset.liveVersion = "";
        if (window.htmx) htmx.process(fresh);
        tick(fresh);
      });
    }, 150);
  }
  ["focusout", "input", "change", "reset", "toggle", "selectionchange", "pointerup"].forEach(function (name) {
    document.addEventListener(name, tryPending, true);
  });

  // --- Moments that keep moving: <time datetime data-live="ago|clock"> ---
  // The server writes the same words (incidents/live.py: ago, clock); no aria-live here, so a
  // screen reader is not told each minute.

  function plural(n, unit) { return n + " " + unit + (n === 1 ? "" : "s"); }

  function ago(seconds) {
    if (seconds < 60) return "just now";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return plural(minutes, "minute") + " ago";
    if (minutes < 1440) return plural(Math.floor(minutes / 60), "hour") + " ago";
    return plural(Math.floor(minutes / 1440), "day") + " ago";
  }

  function clock(seconds) {
    const total = Math.max(0, Math.floor(seconds / 60));
    const days = Math.floor(total / 1440), hours = Math.floor(total / 60) % 24, minutes = total % 60;
    if (days) return days + " d " + hours + " h";
    if (hours) return hours + " h " + minutes + " min";
    return minutes + " min";
  }

  function tick(root) {
    const now = Date.now();
    (root || document).querySelectorAll("time[data-live][datetime]").forEach(function (el) {
      const moment = Date.parse(el.getAttribute("datetime"));
      if (isNaN(moment)) return;
      const seconds = (now - moment) / 1000;
      const text = el.dataset.live === "clock" ? clock(seconds) : ago(seconds);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  setInterval(function () { tick(); }, 15000);
  document.addEventListener("htmx:afterSettle", function () { tick(); placeToasts(); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") tick(); });

  // --- Toasts that leave by themselves ---
  // A success leaves after 5 s, an error after 15 s; neither while hovered or focused (the
  // time left starts again when the pointer or focus leaves). On a narrow screen the toasts sit
  // at the top, under the bar, unless that covers the newest timeline entry or the command box:
  // then at the bottom.

  const STAY = { success: 5000, error: 15000 };

  function leave(toast) {
    if (!toast.isConnected) return;
    toast.classList.add("is-leaving");
    setTimeout(function () { toast.remove(); }, 300);
  }

  function watchToast(toast) {
    if (toast.dataset.liveWatched) return;
    toast.dataset.liveWatched = "1";
    const level = toast.classList.contains("toast-error") ? "error" : "success";
    let left = STAY[level], started = Date.now(), timer = setTimeout(function () { leave(toast); }, left);
    let held = 0;
    function hold() {
      if (held++ === 0) { clearTimeout(timer); left -= Date.now() - started; }
    }
    function release() {
      if (--held > 0) return;
      held = 0;
      started = Date.now();
      timer = setTimeout(function () { leave(toast); }, Math.max(left, 2000));
    }
    toast.addEventListener("mouseenter", hold);
    toast.addEventListener("mouseleave", release);
    toast.addEventListener("focusin", hold);
    toast.addEventListener("focusout", function (e) { if (!toast.contains(e.relatedTarget)) release(); });
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function placeToasts() {
    const region = document.getElementById("toast");
    if (!region || !region.children.length) return;
    const bar = document.querySelector(".topbar");
    region.style.setProperty("--live-bar-bottom", (bar ? Math.max(0, bar.getBoundingClientRect().bottom) : 0) + "px");
    if (!window.matchMedia("(max-width: 640px)").matches) { region.classList.remove("is-bottom"); return; }
    const guarded = [document.querySelector(".timeline > li"), document.getElementById("command-input")]
      .filter(Boolean).map(function (el) { return el.getBoundingClientRect(); });
    const covers = function () {
      const box = region.getBoundingClientRect();
      return guarded.some(function (g) { return overlaps(box, g); });
    };
    region.classList.remove("is-bottom");
    if (covers()) {
      region.classList.add("is-bottom");
      if (covers()) region.classList.remove("is-bottom"); // both cover: the top, under the bar
    }
  }

  function watchToasts() {
    const region = document.getElementById("toast");
    if (!region) return;
    region.querySelectorAll(".toast").forEach(watchToast);
    new MutationObserver(function () {
      region.querySelectorAll(".toast").forEach(watchToast);
      placeToasts();
    }).observe(region, { childList: true });
    let queued = false;
    window.addEventListener("scroll", function () {
      if (queued || !region.children.length) return;
      queued = true;
      requestAnimationFrame(function () { queued = false; placeToasts(); });
    }, { passive: true });
    window.addEventListener("resize", placeToasts);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watchToasts);
  else watchToasts();
})();
