/* forms: a refused form puts focus on its first error (after the page loads, and after an htmx
   write swaps a form in); the error summary's links focus their field; a link or address asking
   to open a disclosure (?open=<id>) opens it and focuses its first field; a time typed next to a
   choice ticks that choice. Everything here is a convenience: the forms work without it. */
(function () {
  "use strict";

  function openAround(element) {
    for (let details = element.closest("details"); details; details = details.parentElement && details.parentElement.closest("details")) {
      details.open = true;
    }
  }

  function focusField(field) {
    openAround(field);
    field.focus();
    if (field.scrollIntoView) field.scrollIntoView({ block: "center" });
  }

  function focusFirstError(root) {
    const field = root.querySelector('[aria-invalid="true"]:not([type="hidden"])');
    if (!field || field === document.activeElement) return;
    focusField(field);
  }

  // ?open=<id>: open the disclosure that is (or is first inside) #id and focus its first field.
  function openAsked() {
    const id = new URLSearchParams(window.location.search).get("open");
    const target = id && document.getElementById(id);
    if (!target) return;
    const details = target.matches("details") ? target : target.querySelector("details");
    if (!details) return;
    details.open = true;
    const field = details.querySelector("input:not([type=hidden]), textarea, select");
    if (field) focusField(field);
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest(".form-errors a[href^='#']");
    if (!link) return;
    const field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    focusField(field);
  });

  // <input data-checks="id_of_a_radio">: typing in it ticks that radio; ticking another radio of
  // the same group empties it, so what is sent is what is shown.
  document.addEventListener("input", function (event) {
    const id = event.target.dataset && event.target.dataset.checks;
    const radio = id && document.getElementById(id);
    if (radio && event.target.value) radio.checked = true;
  });
  document.addEventListener("change", function (event) {
    const radio = event.target;
    if (radio.type !== "radio" || !radio.name) return;
    document.querySelectorAll("[data-checks]").forEach(function (input) {
      const owner = document.getElementById(input.dataset.checks);
      if (owner && owner.name === radio.name && owner !== radio) input.value = "";
    });
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    const config = event.detail.requestConfig;
    if (!config || config.verb === "get") return; // a refresh never moves the focus
    focusFirstError(event.detail.target || document);
  });

  if (document.querySelector('[aria-invalid="true"]')) focusFirstError(document);
  // After the browser went to the address's #fragment (which moves the focus to it, or to the
  // page when it cannot take focus).
  else if (document.readyState === "complete") openAsked();
  else window.addEventListener("load", function () { window.setTimeout(openAsked, 0); });
})();
