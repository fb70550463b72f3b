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
