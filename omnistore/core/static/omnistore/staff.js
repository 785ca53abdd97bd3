/* What the staff pages do in the browser beyond htmx, in one file: the Content
   Security Policy allows no inline script or event handler attribute.
   - data-confirm="question" on a form: ask before it is sent;
   - data-autosubmit on a field: send its form when it changes;
   - data-print on a button: print the page;
   - a request htmx sent that failed (refused, a server error, no network) says so
     in the banner at the top of the page instead of leaving the page as it was. */
(function () {
  "use strict";
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
})();
