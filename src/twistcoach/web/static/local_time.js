// Stored moments that belong to no practice session (the audit trail, decisions, care
// plans) come from the server in UTC, labelled "UTC" (web/domain.py, moment()); here they
// are shown on the reader's own clock. A session's start is already on the clock it was
// practised by, server-side.
(function () {
  "use strict";
  function pad(n) {
    return String(n).padStart(2, "0");
  }
  function toLocal() {
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      var day = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate());
      var text = el.dataset.local === "date" ? day
        : day + " " + pad(when.getHours()) + ":" + pad(when.getMinutes());
      el.title = el.textContent.trim().endsWith("UTC") ? el.textContent.trim()
        : el.getAttribute("datetime");
      el.textContent = text;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", toLocal);
  } else {
    toLocal();
  }
})();
