// MedCred issuer pages: ask before irreversible actions (forms marked data-confirm).
// A static file, not inline script: the Content-Security-Policy allows scripts from this origin only.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
