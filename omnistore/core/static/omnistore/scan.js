/* Scanning on every staff screen, in one file (the Content Security Policy allows
   no inline script). A barcode scanner types the code and Enter, faster than any
   server answers, so nothing here waits for the network before taking the next code.

   Markup:
   - <form id="…" data-scan-form="add" hx-post hx-target hx-swap>: each Enter (or the
     button) takes a snapshot of the form and clears the field at once; the snapshots
     are sent one after the other, in order, each swapped in before the next leaves.
   - <form data-scan-form="select" data-scan-lookup="/staff/stock/code/">: Enter in a
     code field looks the code up and moves to the next field (the units); Enter never
     submits, only the form's button does.
   - <form data-scan-form="tally">: each scan counts one unit on the row whose
     data-tally lists the code (SKU or barcode); the first scan zeroes the rows;
     nothing is sent until the button.
   - <form data-scan-form="search">: Enter sends the search (a page or htmx form).
   - data-scan-field on the code input(s) of each form.
   After every answer the field is empty and focused (what was typed meanwhile is
   kept), a beep and a flash say accepted or refused, and a status line says which
   code. A camera button is added beside each scan field (scan-camera.js). */
(function () {
  "use strict";

  var queues = {};
  var audio = null;

  function beep(ok) {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return; }
      audio = audio || new Ctx();
      if (audio.state === "suspended") { audio.resume(); }
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = ok ? "sine" : "square";
      osc.frequency.value = ok ? 1320 : 220;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + (ok ? 0.08 : 0.3));
    } catch (e) { /* no sound on this device: the flash still shows */ }
  }

  function statusLine(form) {
    var box = form.querySelector("[data-scan-status]");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("data-scan-status", "");
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      box.className = "scan-status";
      /* Under the row the template marks (data-scan-anchor), else the form's end. */
      var anchor = form.querySelector("[data-scan-anchor]");
      if (anchor) {
        anchor.insertAdjacentElement("afterend", box);
      } else {
        form.appendChild(box);
      }
    }
    return box;
  }

  function feedback(form, ok, text) {
    beep(ok);
    if (!form) { return; }
    var box = statusLine(form);
    box.textContent = text;
    box.className = "scan-status " + (ok ? "scan-ok" : "scan-bad");
    box.setAttribute("data-result", ok ? "ok" : "bad");
    form.classList.remove("scan-flash-ok", "scan-flash-bad");
    void form.offsetWidth; /* restart the flash animation */
    form.classList.add(ok ? "scan-flash-ok" : "scan-flash-bad");
  }

  function setBusy(form, pending) {
    if (!form) { return; }
    form.classList.toggle("is-busy", pending > 0);
    form.setAttribute("aria-busy", pending > 0 ? "true" : "false");
    if (pending > 0) {
      var box = statusLine(form);
      box.setAttribute("data-pending", String(pending));
      box.textContent = "Sending " + pending + " scan" + (pending > 1 ? "s" : "") + "…";
      box.className = "scan-status scan-busy";
    }
  }

  function firstField(form) {
    return form && form.querySelector("[data-scan-field]");
  }

  function focusField(field) {
    if (field && document.contains(field)) {
      field.focus();
    }
  }

  /* --- add: queue, send in order ------------------------------------------- */

  function snapshot(form) {
    var values = {};
    new FormData(form).forEach(function (value, key) { values[key] = value; });
    // Each scan is its own receipt: its own once-only token, so the server takes
    // every scan once (and a resent one not again).
    if ("once" in values) { values.once = freshToken(); }
    return values;
  }

  function freshToken() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function enqueue(form, values) {
    var id = form.id;
    var queue = queues[id] = queues[id] || { items: [], running: false };
    queue.items.push(values);
    setBusy(form, queue.items.length + (queue.running ? 1 : 0));
    if (!queue.running) { next(id); }
  }

  function errorShown(form) {
    if (!form) { return null; }
    /* The field's own error names the code; the banner above it is generic. */
    return form.querySelector(".errorlist li") || form.querySelector(".alert.error");
  }

  function next(id) {
    var queue = queues[id];
    var form = document.getElementById(id);
    if (!queue.items.length || !form) {
      queue.running = false;
      queue.items = form ? queue.items : [];
      setBusy(form, 0);
      return;
    }
    queue.running = true;
    var values = queue.items.shift();
    var code = values[firstField(form).name] || "";
    var status = 0;
    function seen(event) {
      if (event.detail && event.detail.xhr) { status = event.detail.xhr.status; }
    }
    document.addEventListener("htmx:afterRequest", seen);
    window.htmx.ajax("POST", form.getAttribute("hx-post") || form.action, {
      source: form,
      target: form.getAttribute("hx-target") || form,
      swap: form.getAttribute("hx-swap") || "outerHTML",
      values: values
    }).catch(function () { status = 0; }).then(function () {
      document.removeEventListener("htmx:afterRequest", seen);
      var live = document.getElementById(id);
      var ok = status >= 200 && status < 300;
      var shown = ok ? null : errorShown(live);
      var why = ok ? "" : ((shown && shown.textContent.trim()) ||
        (status ? "Refused." : "No answer from the server."));
      feedback(live, ok, ok ? "✓ " + code : "✗ " + (code ? code + ": " : "") + why);
      /* The status line says the field's error with its code: the field keeps its
         mark, its error is not said twice. */
      var list = shown && shown.tagName === "LI" && shown.closest(".errorlist");
      if (list) { list.hidden = true; }
      setBusy(live, queue.items.length);
      next(id);
    });
  }

  /* --- select: look the code up, move on to the units --------------------- */

  function nextInput(field) {
    var form = field.form;
    var items = Array.prototype.filter.call(form.elements, function (el) {
      return !el.disabled && el.type !== "hidden" && el.type !== "button" &&
        el.tagName !== "FIELDSET" && el.offsetParent !== null;
    });
    var at = items.indexOf(field);
    return at >= 0 ? items[at + 1] : null;
  }

  function itemLabel(field) {
    var id = "scan-item-" + (field.id || field.name);
    var label = document.getElementById(id);
    if (!label) {
      label = document.createElement("div");
      label.id = id;
      label.className = "scan-item";
      label.setAttribute("data-scan-item", field.name);
      label.setAttribute("aria-live", "polite");
      var anchor = field.closest(".field") || field;
      anchor.appendChild(label);
    }
    return label;
  }

  function select(field, code) {
    var form = field.form;
    var url = form.getAttribute("data-scan-lookup");
    var label = itemLabel(field);
    setBusy(form, 1);
    field.value = "";
    return fetch(url + "?code=" + encodeURIComponent(code), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, data: data };
      });
    }).then(function (result) {
      setBusy(form, 0);
      if (!result.ok) {
        label.textContent = "";
        feedback(form, false, "✗ " + result.data.message);
        focusField(field);
        return;
      }
      var item = result.data;
      field.value = item.sku;
      label.textContent = item.name + " · " + item.price;
      feedback(form, true, "✓ " + item.sku + " — " + item.name + ": now the units");
      var units = nextInput(field);
      if (units) {
        units.focus();
        if (units.select) { units.select(); }
      }
    }).catch(function () {
      setBusy(form, 0);
      feedback(form, false, "✗ " + code + ": no answer from the server.");
      focusField(field);
    });
  }

  /* --- tally: count what arrived, one scan one unit, nothing sent ----------- */

  function tally(field, code) {
    var form = field.form;
    field.value = "";
    var wanted = code.toUpperCase();
    var rows = form.querySelectorAll("[data-tally]");
    if (!form.hasAttribute("data-tally-started")) {
      form.setAttribute("data-tally-started", "");
      rows.forEach(function (row) { row.querySelector("input").value = "0"; });
    }
    var row = Array.prototype.find.call(rows, function (r) {
      return r.getAttribute("data-tally").toUpperCase().split(" ").indexOf(wanted) >= 0;
    });
    if (!row) {
      feedback(form, false, "✗ " + code + ": not on this transfer.");
      return;
    }
    var input = row.querySelector("input");
    var count = parseInt(input.value || "0", 10);
    var most = parseInt(input.getAttribute("max") || "0", 10);
    if (most && count >= most) {
      feedback(form, false, "✗ " + code + ": all " + most + " already counted.");
      return;
    }
    input.value = String(count + 1);
    feedback(form, true, "✓ " + code + ": " + (count + 1) + (most ? " of " + most : ""));
  }

  /* --- one entry point: a code, from the keyboard wedge or the camera ------- */

  function scanned(field, code) {
    code = (code || "").trim();
    var form = field.form;
    if (!code || !form) { return; }
    var mode = form.getAttribute("data-scan-form");
    if (mode === "select") {
      select(field, code);
    } else if (mode === "tally") {
      tally(field, code);
      focusField(field);
    } else if (mode === "add") {
      field.value = code;
      var values = snapshot(form);
      field.value = "";
      enqueue(form, values);
      focusField(field);
    } else {
      field.value = code;
      setBusy(form, 1);
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("data-scan-form") !== "add" || event.defaultPrevented) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    var field = firstField(form);
    /* An empty field is sent too: the server's answer marks the fields as any
       other form's does (adjust, count), and the status line says why. */
    var values = snapshot(form);
    field.value = "";
    enqueue(form, values);
    focusField(field);
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    var field = event.target;
    var form = field.form;
    var mode = form ? form.getAttribute("data-scan-form") : "";
    if (mode === "tally" && field.hasAttribute("data-scan-field")) {
      event.preventDefault(); /* a scan counts; only the button receives */
      scanned(field, field.value);
      return;
    }
    if (mode !== "select") { return; }
    if (field.tagName === "TEXTAREA" || field.tagName === "BUTTON" ||
        field.type === "submit") {
      return;
    }
    /* Enter never submits here: the associate confirms with the button. */
    event.preventDefault();
    if (field.hasAttribute("data-scan-field")) {
      scanned(field, field.value);
    } else {
      var after = nextInput(field);
      if (after) { after.focus(); }
    }
  }, true);

  /* Keep what was typed in a scan field while an answer replaces the form, and give
     the field the focus back: the next code may already be half typed. The same for
     any other text field being typed in (a discount code while a scan's answer
     swaps the basket), unless the answer is to that field's own form. */
  var kept = null;
  function typing(active, source) {
    var text = active && (active.tagName === "TEXTAREA" ||
      (active.tagName === "INPUT" && /^(text|search|email|tel|number)$/.test(active.type)));
    if (!text || !active.id || active.hasAttribute("data-scan-field")) { return null; }
    if (active.form && source && active.form.contains(source)) { return null; }
    return { id: active.id, node: active, value: active.value,
      start: active.selectionStart, end: active.selectionEnd };
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    kept = [];
    var active = document.activeElement;
    document.querySelectorAll("[data-scan-field]").forEach(function (field) {
      if (field.id) {
        kept.push({ id: field.id, value: field.value, focused: field === active });
      }
    });
    kept.blurred = !active || active === document.body;
    kept.active = active;
    var config = event.detail && event.detail.requestConfig;
    kept.typing = typing(active, config && config.elt);
  });
  document.addEventListener("htmx:afterSwap", function () {
    /* A scan field's autofocus is for the page's load only: htmx would act on it
       again as the answer settles, taking the focus from a field the associate went
       to meanwhile (the customer's phone). The focus after an answer is set here. */
    var brought = document.querySelectorAll("[data-scan-field][autofocus]");
    brought.forEach(function (field) { field.removeAttribute("autofocus"); });
    if (!kept) { return; }
    var refocus = null;
    var now = document.activeElement;
    /* The focused button went with an answer that brought a scan field (one more,
       remove): the focus goes back to the scan, as the autofocus would have put it. */
    var lost = brought.length > 0 && (!now || now === document.body);
    kept.forEach(function (entry) {
      var field = document.getElementById(entry.id);
      if (!field) { return; }
      if (field.form && field.form.getAttribute("data-scan-form") === "add") {
        field.value = entry.value;
      }
      if (entry.focused || ((kept.blurred || lost) && !refocus)) { refocus = field; }
    });
    /* Someone who moved to another field while the answer was on its way (the
       customer's phone, typed after the scan) keeps typing there. */
    var movedOn = now && now !== document.body && now !== kept.active &&
      now !== refocus;
    if (refocus && !movedOn && (kept.blurred || lost || now !== refocus)) {
      refocus.focus();
    }
    typedKept = kept.typing;
    kept = null;
  });
  /* After the settle, which focuses the swapped content's autofocus field. */
  var typedKept = null;
  document.addEventListener("htmx:afterSettle", function () {
    var typed = typedKept && document.getElementById(typedKept.id);
    /* A field the answer did not replace holds what was typed since (the phone typed
       while the answer was on its way): its value is left as it is. */
    if (typed && typed === typedKept.node) {
      if (document.activeElement !== typed) { typed.focus(); }
      typed = null;
    }
    if (typed && (typed.value !== typedKept.value || document.activeElement !== typed)) {
      typed.value = typedKept.value;
      typed.focus();
      try {
        typed.setSelectionRange(typedKept.start, typedKept.end);
      } catch (e) { /* a number field has no selection */ }
    }
    typedKept = null;
  });

  /* A visible busy state on every button that sends a page (htmx marks its own). */
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented || event.target.hasAttribute("hx-post") ||
        event.target.hasAttribute("hx-get")) {
      return;
    }
    var button = event.submitter;
    if (button) {
      button.classList.add("is-busy");
      button.setAttribute("aria-busy", "true");
    }
  });

  /* A page's messages belong to what happened before it: the next change made on
     the page (a scan, a line, a customer) clears them. */
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status >= 200 && xhr.status < 300 &&
        (event.detail.requestConfig || {}).verb !== "get") {
      document.querySelectorAll("[data-message]").forEach(function (m) { m.remove(); });
    }
  });

  /* Find by name: a result is taken as if its SKU was scanned into the field. */
  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-pick]");
    if (!pick) { return; }
    var field = document.getElementById(pick.getAttribute("data-pick-for"));
    if (!field) { return; }
    var results = pick.closest(".find-results");
    if (results) { results.innerHTML = ""; }
    var box = document.getElementById("find-" + field.id);
    if (box) { box.value = ""; }
    field.focus();
    scanned(field, pick.getAttribute("data-pick"));
  });

  window.omnistoreScan = { scanned: scanned, feedback: feedback };
})();
