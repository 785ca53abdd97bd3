/* The sale's checkout: the change to give back, worked out while the associate types
   the cash the customer hands over. The server computes it again at checkout (the
   till books it); this is what the associate reads before taking the money. The
   cash due is rounded as the server rounds it, to the drawer's smallest coin (the
   form's data-cash-step, rendered from the till's cash_step: 0.05 for francs, so
   56.61 due is 56.60 in cash). The cash tendered is asked only while a tender is
   cash. */
(function () {
  "use strict";

  function cents(text) {
    var value = parseFloat(String(text || "").replace(",", "."));
    return isNaN(value) ? null : Math.round(value * 100);
  }

  function money(value) {
    return (value / 100).toFixed(2);
  }

  /* The smallest coin, in cents (1 where the form names none). */
  function cashStep(form) {
    var step = cents(form.getAttribute("data-cash-step"));
    return step > 0 ? step : 1;
  }

  /* ``due`` cents as the coins pay it: to the nearest step, halves up (the server's
     cash_rounded, ROUND_HALF_UP), in whole cents so no float creeps in. */
  function inCoins(due, step) {
    return Math.floor((2 * due + step) / (2 * step)) * step;
  }

  function methodOf(form, row) {
    var checked = form.querySelector('input[name="method_' + row + '"]:checked');
    if (checked) { return checked.value; }
    var select = form.querySelector('select[name="method_' + row + '"]');
    return select ? select.value : "";
  }

  function cashDue(form, total) {
    var cash = 0, others = 0, open = false;
    for (var row = 1; row <= 3; row++) {
      var method = methodOf(form, row);
      if (!method) { continue; }
      var field = form.querySelector('[name="amount_' + row + '"]');
      var amount = cents(field && field.value);
      if (method === "cash") {
        if (amount === null) { open = true; } else { cash += amount; }
      } else if (amount !== null) {
        others += amount;
      }
    }
    return open ? cash + Math.max(total - others - cash, 0) : cash;
  }

  /* What the gift card, store credit and points take first, in cents; null while
     a gift card is given no amount: what it holds is known once the sale is sent. */
  function storedValue(form) {
    var number = form.querySelector('[name="gift_card_number"]');
    var share = form.querySelector('[name="gift_card_amount"]');
    if (number && number.value.trim() && share && !share.value.trim()) { return null; }
    var taken = 0;
    ["gift_card_amount", "store_credit_amount"].forEach(function (name) {
      var field = form.querySelector('[name="' + name + '"]');
      taken += cents(field && field.value) || 0;
    });
    var points = form.querySelector('[name="points"]');
    var perUnit = points && parseInt(points.getAttribute("data-per-unit"), 10);
    var count = points && parseInt(points.value, 10);
    if (perUnit > 0 && count > 0) { taken += Math.floor(count * 100 / perUnit); }
    return taken;
  }

  function paysCash(form) {
    for (var row = 1; row <= 3; row++) {
      if (methodOf(form, row) === "cash") { return true; }
    }
    return false;
  }

  function showTendered(form) {
    var field = form.querySelector(".field-tendered");
    if (!field) { return; }
    var shown = paysCash(form) || field.classList.contains("has-error");
    field.style.display = shown ? "" : "none";
  }

  function update(form) {
    showTendered(form);
    var line = form.querySelector("[data-change-due]");
    var totalBox = document.getElementById("checkout-total");
    if (!line || !totalBox) { return; }
    var total = cents(totalBox.textContent) || 0;
    var currency = totalBox.textContent.trim().split(/\s+/).pop();
    var tendered = cents((form.querySelector('[name="tendered"]') || {}).value);
    var stored = storedValue(form);
    var due = cashDue(form, Math.max(total - (stored || 0), 0));
    due = inCoins(due, cashStep(form));
    if (tendered === null || due <= 0 || stored === null) {
      line.textContent = "";
    } else if (tendered >= due) {
      line.textContent = "Change due: " + money(tendered - due) + " " + currency;
      line.className = "change-due ok";
    } else {
      line.textContent = "Still due in cash: " + money(due - tendered) + " " + currency;
      line.className = "change-due short";
    }
  }

  function onEdit(event) {
    var form = event.target.closest && event.target.closest("form");
    if (form && form.querySelector("[data-change-due]")) { update(form); }
  }
  function onLoad(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-change-due]")) { update(form); }
    });
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.addEventListener("DOMContentLoaded", function () { onLoad(document); });
  document.addEventListener("htmx:load", function (event) { onLoad(event.target); });
})();
