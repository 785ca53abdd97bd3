/* What the staff pages do in the browser beyond htmx, in one file: the Content
   Security Policy allows no inline script or event handler attribute.
   - data-confirm="question" on a form: ask before it is sent;
   - data-autosubmit on a field: send its form when it changes;
   - data-print on a button: print the page;
   - a request htmx sent that failed (refused, a server error, no network) says so
     in the banner at the top of the page instead of leaving the page as it was;
   - Back over an address htmx set comes from the server. */
(function () {
  "use strict";
  /* Back and Forward over an address htmx put in the address bar (a search, a tab)
     load that page from the server as it is now, not a copy kept in the tab: the
     copy can be out of date, and a shared tablet should not keep customers' pages in
     the tab's storage. */
  if (window.htmx) {
    window.htmx.config.historyCacheSize = 0;
    window.htmx.config.refreshOnHistoryMiss = true;
  }
  /* An answer that sends the tab to another page (HX-Redirect: the login page once
     the session has ended) is followed once: the answers of requests still under way
     (a poll, a second tap) neither swap nor send the tab off again. */
  var leaving = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (leaving) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    if (leaving) {
      event.preventDefault();
    } else if (event.detail.xhr.getResponseHeader("HX-Redirect")) {
      leaving = true;
    }
  });
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });

  function requestProblem(text) {
    var banner = document.getElementById("request-problem");
    if (!banner) {
      return;
    }
    banner.textContent = text;
    banner.hidden = !text;
  }
  function explain(status) {
    if (status === 403 || status === 404) {
      return "That is not available to you, or no longer exists (" + status + ").";
    }
    if (status === 429) {
      return "Too many requests in a short time: wait a moment, then try again.";
    }
    if (status === 503) {
      return "The system is busy or restarting: try again in a moment.";
    }
    if (status >= 500) {
      return "Something went wrong on our side (" + status + "). Check the result " +
        "before you try again; if it keeps happening, tell your manager.";
    }
    return "The request was refused (" + status + "). Reload the page and try again.";
  }
  document.addEventListener("htmx:responseError", function (event) {
    requestProblem(explain(event.detail.xhr.status));
  });
  document.addEventListener("htmx:sendError", function () {
    requestProblem("No connection to the server: check the network, then try again.");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) {
      requestProblem("");
    }
  });

  /* A table.responsive stacks on a phone (staff.css): each cell of its body and foot
     gets its column's heading as data-label, unless the template gave one. A cell
     spanning columns (an empty list's message) gets none. */
  function headingText(cell) {
    var text = "";
    Array.prototype.forEach.call(cell.childNodes, function (node) {
      if (!(node.classList && node.classList.contains("sr-only"))) {
        text += node.textContent;
      }
    });
    return text.replace(/\s+/g, " ").trim();
  }
  function labelTable(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) {
      return;
    }
    var labels = [];
    Array.prototype.forEach.call(head.cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i++) {
        labels.push(i ? "" : headingText(cell));
      }
    });
    Array.prototype.forEach.call(table.rows, function (row) {
      if (row.parentNode === table.tHead) {
        return;
      }
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        var span = cell.colSpan || 1;
        if (span === 1 && labels[column] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", labels[column]);
        }
        column += span;
      });
    });
  }
  function labelTables(root) {
    if (!root || !root.querySelectorAll) {
      return;
    }
    var around = root.closest && root.closest("table.responsive");
    if (around) {
      labelTable(around);
    }
    root.querySelectorAll("table.responsive").forEach(labelTable);
  }
  labelTables(document.documentElement);

  /* data-autofocus: the field takes the focus as autofocus would, without scrolling
     the page to it (on a phone it is far down; the page opens at its top). */
  var toFocus = document.querySelector("[data-autofocus]");
  if (toFocus && (!document.activeElement || document.activeElement === document.body)) {
    toFocus.focus({ preventScroll: true });
  }
  document.addEventListener("htmx:load", function (event) {
    labelTables(event.detail && event.detail.elt);
  });
})();
