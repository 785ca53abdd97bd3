/* Camera scanning for tablets without a scanner: a "Camera" button beside each scan
   field opens the back camera; the first EAN-13 or QR code seen is handed to scan.js
   exactly as if the scanner had typed it. The browser's own BarcodeDetector is used
   where it reads both formats; elsewhere the vendored ZXing library (loaded from our
   static files only when the camera opens) decodes the frames. */
(function () {
  "use strict";

  var FORMATS = ["ean_13", "qr_code"];
  var EVERY_MS = 150;
  var SCALES = [1, 0.5, 0.75];
  var library = null;

  function loadLibrary() {
    if (window.ZXing) { return Promise.resolve(window.ZXing); }
    if (library) { return library; }
    var meta = document.querySelector('meta[name="omnistore-barcode-decoder"]');
    library = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = meta.getAttribute("content");
      script.onload = function () { resolve(window.ZXing); };
      script.onerror = function () { library = null; reject(new Error("decoder")); };
      document.head.appendChild(script);
    });
    return library;
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) { return Promise.resolve(null); }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      var all = FORMATS.every(function (f) { return formats.indexOf(f) >= 0; });
      return all ? { name: "native", detector: new window.BarcodeDetector({ formats: FORMATS }) } : null;
    }).catch(function () { return null; });
  }

  function zxingDetector() {
    return loadLibrary().then(function (ZXing) {
      var hints = new Map();
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS,
        [ZXing.BarcodeFormat.EAN_13, ZXing.BarcodeFormat.QR_CODE]);
      hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
      var reader = new ZXing.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      /* A frame ZXing cannot read is read again smaller: at one size it misses some
         codes (a few pickup QR codes in a hundred, shown full size) that it reads at
         another. */
      function readAt(video, scale) {
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        try {
          var source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
          var bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
          return reader.decodeWithState(bitmap).getText();
        } catch (e) {
          return ""; /* nothing readable at this size */
        } finally {
          reader.reset();
        }
      }
      return {
        name: "zxing",
        detector: {
          detect: function (video) {
            var text = "";
            for (var i = 0; i < SCALES.length && !text; i++) {
              text = readAt(video, SCALES[i]);
            }
            return Promise.resolve(text ? [{ rawValue: text }] : []);
          }
        }
      };
    });
  }

  function detector() {
    return nativeDetector().then(function (found) { return found || zxingDetector(); });
  }

  function open(field) {
    var view = document.createElement("div");
    view.className = "scan-camera-view";
    view.setAttribute("role", "dialog");
    view.setAttribute("aria-label", "Camera scanner");
    view.setAttribute("data-testid", "camera-view");
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    var hint = document.createElement("p");
    hint.textContent = "Starting the camera…";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "secondary";
    close.textContent = "Close";
    view.appendChild(video);
    view.appendChild(hint);
    view.appendChild(close);
    document.body.appendChild(view);

    var stream = null;
    var timer = null;
    var done = false;
    function stop() {
      done = true;
      if (timer) { clearTimeout(timer); }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
      view.remove();
      field.focus();
    }
    close.addEventListener("click", stop);
    view.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { stop(); }
    });

    navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false
    }).then(function (media) {
      stream = media;
      if (done) { stop(); return null; }
      video.srcObject = media;
      return video.play().then(detector);
    }).then(function (found) {
      if (!found || done) { return; }
      view.setAttribute("data-decoder", found.name);
      document.documentElement.setAttribute("data-camera-decoder", found.name);
      hint.textContent = "Point the camera at the barcode or QR code.";
      function look() {
        if (done) { return; }
        var ready = video.readyState >= 2 && video.videoWidth > 0;
        (ready ? found.detector.detect(video) : Promise.resolve([])).then(function (codes) {
          if (done) { return; }
          var code = codes.length ? String(codes[0].rawValue || "").trim() : "";
          if (code) {
            stop();
            window.omnistoreScan.scanned(field, code);
          } else {
            timer = setTimeout(look, EVERY_MS);
          }
        }).catch(function () { timer = setTimeout(look, EVERY_MS); });
      }
      look();
    }).catch(function () {
      hint.textContent = "No camera available (or access was refused).";
    });
  }

  function addButtons(root) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
    var fields = root.querySelectorAll ? root.querySelectorAll("[data-scan-field]") : [];
    Array.prototype.forEach.call(fields, function (field) {
      var next = field.nextElementSibling;
      if (next && next.classList.contains("scan-camera")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary scan-camera";
      button.textContent = "Camera";
      button.setAttribute("aria-label", "Scan with the camera");
      button.setAttribute("data-testid", "camera-" + (field.id || field.name));
      button.addEventListener("click", function () { open(field); });
      field.insertAdjacentElement("afterend", button);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { addButtons(document); });
  document.addEventListener("htmx:load", function (event) { addButtons(event.detail.elt); });
})();
