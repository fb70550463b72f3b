// The practice start page: remember the body model chosen for the camera on this device
// only (localStorage; nothing is sent until the form is), so it need not be chosen again.
(() => {
  "use strict";
  const select = document.getElementById("body");
  if (!select) return;
  const key = "twistcoach.bodyModel";
  try {
    const saved = localStorage.getItem(key);
    if (saved && [...select.options].some(o => o.value === saved)) select.value = saved;
    select.addEventListener("change", () => localStorage.setItem(key, select.value));
  } catch (err) {
    // Storage blocked (private mode, policy): the choice is simply not remembered.
  }
})();

// Where the camera goes depends on the twist chosen (lying: by the feet, raised; sitting or
// standing: in front): show the chosen twist's advice only (the server renders each one).
(() => {
  "use strict";
  const variant = document.getElementById("variant");
  if (!variant) return;
  const show = () => {
    for (const p of document.querySelectorAll(".camera-advice")) {
      p.hidden = p.dataset.variant !== variant.value;
    }
  };
  variant.addEventListener("change", show);
  show();
})();

// The time zone this device is in (an IANA name such as Europe/Madrid), sent with the start:
// a sharp-pain stop locks practice for the rest of the person's own day, not the server's.
(() => {
  "use strict";
  const field = document.getElementById("time_zone");
  if (!field) return;
  try {
    field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (err) {
    // No Intl time zone: the server's own zone is used, as before.
  }
})();
