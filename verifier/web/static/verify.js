// Camera scanning for the verifier page. The QR code on a MedCred certificate holds a link to this
// page (/verify?credential=...); a QR code holding a credential URL is wrapped into such a link.
// Uses the browser's BarcodeDetector where it exists, and jsQR (vendored from npm) otherwise.
(function () {
  "use strict";
  var button = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var canvas = document.getElementById("scan-canvas");
  var statusLine = document.getElementById("scan-status");
  if (!button) { return; }

  function say(text) { statusLine.textContent = text; }

  function targetFor(text) {
    var url;
    try { url = new URL(text, window.location.href); } catch (e) { return null; }
    if (url.protocol !== "http:" && url.protocol !== "https:") { return null; }
    if (url.pathname.replace(/\/$/, "").endsWith("/verify") && url.searchParams.get("credential")) {
      return "/verify?credential=" + encodeURIComponent(url.searchParams.get("credential"));
    }
    return "/verify?credential=" + encodeURIComponent(url.href);
  }

  function found(text, stream) {
    var target = targetFor(text);
    if (!target) { say("That QR code does not hold a credential link."); return false; }
    stream.getTracks().forEach(function (t) { t.stop(); });
    say("Found a credential link, checking…");
    window.location.assign(target);
    return true;
  }

  function scanWith(detect, stream) {
    var context = canvas.getContext("2d", { willReadFrequently: true });
    function tick() {
      if (video.readyState >= 2 && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        Promise.resolve(detect(context)).then(function (text) {
          if (text && found(text, stream)) { return; }
          window.requestAnimationFrame(tick);
        });
        return;
      }
      window.requestAnimationFrame(tick);
    }
    tick();
  }

  function detectorFor() {
    if ("BarcodeDetector" in window) {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function () {
        return detector.detect(canvas).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        }).catch(function () { return null; });
      };
    }
    return function (context) {
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      return code ? code.data : null;
    };
  }

  button.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("This browser cannot use the camera here; upload the file or enter the link instead.");
      return;
    }
    say("Point the camera at the QR code on the certificate.");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        video.hidden = false;
        video.srcObject = stream;
        return video.play().then(function () { scanWith(detectorFor(), stream); });
      })
      .catch(function (err) { say("The camera could not be started (" + err.name + ")."); });
  });
}());
