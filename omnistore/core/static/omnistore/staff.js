/* What the staff pages do in the browser beyond htmx, in one file: the Content
   Security Policy allows no inline script or event handler attribute.
   - data-confirm="question" on a form: ask before it is sent;
   - data-autosubmit on a field: send its form when it changes;
   - data-print on a button: print the page. */
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
})();
