/* Keyboard access to the uptime bars: one tab stop per bar (today), then the arrow keys,
   Home and End move from day to day and each day's text shows as a tooltip. The page works
   without this; it only adds the arrow keys. */
(function () {
  "use strict";
  function visibleDays(bar) {
    return Array.prototype.filter.call(bar.querySelectorAll(".d"), function (d) {
      return d.offsetParent !== null;
    });
  }
  document.addEventListener("keydown", function (event) {
    var day = event.target;
    if (!day.classList || !day.classList.contains("d")) return;
    var days = visibleDays(day.parentNode);
    var i = days.indexOf(day);
    var next = {ArrowLeft: i - 1, ArrowRight: i + 1, Home: 0, End: days.length - 1}[event.key];
    if (next === undefined) {
      if (event.key === "Escape") day.blur();
      return;
    }
    event.preventDefault();
    var target = days[Math.max(0, Math.min(days.length - 1, next))];
    if (!target) return;
    day.setAttribute("tabindex", "-1");
    target.setAttribute("tabindex", "0");
    target.focus();
  });
})();
