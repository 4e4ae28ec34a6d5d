// MedCred issuer pages. A static file, not inline script: the Content-Security-Policy allows scripts
// from this origin only.
"use strict";

// Ask before irreversible actions (forms marked data-confirm).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// ZIP exports (forms marked data-export="N credentials") show their progress: the archive is
// streamed, one credential after another, and each credential's JSON entry
// ("credentials/<uuid>.json" after a ZIP local file header) is counted as it arrives.
const ENTRY = new TextEncoder().encode("PK\u0003\u0004");
const NAME = new TextEncoder().encode("credentials/");

function countEntries(bytes, from) {
  let found = 0;
  for (let i = from; i + 30 + NAME.length <= bytes.length; i++) {
    if (bytes[i] !== ENTRY[0] || bytes[i + 1] !== ENTRY[1] || bytes[i + 2] !== ENTRY[2] || bytes[i + 3] !== ENTRY[3]) {
      continue;
    }
    const nameLength = bytes[i + 26] | (bytes[i + 27] << 8);
    if (nameLength < NAME.length) { continue; }
    let match = true;
    for (let j = 0; j < NAME.length && match; j++) { match = bytes[i + 30 + j] === NAME[j]; }
    if (match) { found++; }
  }
  return found;
}

function filenameOf(response) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(header);
  return match ? match[1] : "credentials.zip";
}

async function exportWithProgress(form) {
  const total = Number(form.dataset.export) || 0;
  const status = form.querySelector(".progress");
  const button = form.querySelector("button[type=submit]");
  const say = (text) => { if (status) { status.textContent = text; } };
  button.disabled = true;
  say(`Preparing the ZIP of ${total.toLocaleString()} credential(s)…`);
  try {
    const response = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" });
    if (!response.ok || !response.body) {
      say(`The download failed (${response.status}). Reload the page and try again.`);
      return;
    }
    const reader = response.body.getReader();
    const chunks = [];
    let done = 0;
    let tail = new Uint8Array(0);
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) { break; }
      chunks.push(value);
      // Search the new bytes, plus the end of the previous chunk (a header may straddle the two).
      const joined = new Uint8Array(tail.length + value.length);
      joined.set(tail, 0);
      joined.set(value, tail.length);
      done += countEntries(joined, 0) - countEntries(tail, 0);
      tail = joined.slice(Math.max(0, joined.length - (30 + NAME.length - 1)));
      say(`Prepared ${Math.min(done, total).toLocaleString()} of ${total.toLocaleString()} credential(s)…`);
    }
    const url = URL.createObjectURL(new Blob(chunks, { type: "application/zip" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = filenameOf(response);
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    say(`Downloaded ${total.toLocaleString()} credential(s).`);
  } catch (error) {
    say("The download was interrupted. Reload the page and try again.");
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.export || !window.fetch || !window.ReadableStream) {
    return; // without streams the form posts as usual and the browser shows its own download
  }
  event.preventDefault();
  exportWithProgress(form);
});
