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
