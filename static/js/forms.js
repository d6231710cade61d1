/* Full-page forms of the site (loaded by base.html on every page).
 *
 * 1. A POST that comes back with errors: the first error may sit below the fold (the
 *    "Li o aviso" error on the activation warning, at 1366×800), where nobody sees it and
 *    the page looks as if nothing happened. Bring it into view and give it focus, so that
 *    keyboard and screen-reader users land on it too. Every collapsed group (<details>, the
 *    rare groups of a record's form) that holds an error is opened first, so that the
 *    fields the error summary points to can be seen: the server renders such a group
 *    open, this is for any page that does not.
 *    The summary's links to the fields to correct focus the field they point to (a link
 *    to a fragment only scrolls), so that typing the correction can start at once.
 * 2. A submit button marked data-disable-on-submit (irreversible or long work) is disabled
 *    once its form is submitted, and the form cannot be submitted again meanwhile (a double
 *    click, Enter pressed twice). A non-empty value replaces the label while it waits,
 *    e.g. data-disable-on-submit="Ativando…".
 */
(function () {
  "use strict";

  // Error messages (flash messages and form summaries), an edit conflict, then Django's
  // field errors: the first one in the page, whichever kind it is.
  var ERRORS = ".message.error, .message.stale, .errorlist, [aria-invalid='true']";

  function isShown(element) {
    return element.getClientRects().length > 0;
  }

  function firstError() {
    var main = document.querySelector("main") || document.body;
    var found = Array.prototype.filter.call(main.querySelectorAll(ERRORS), isShown);
    return found.length ? found[0] : null;
  }

  function isFocusable(element) {
    return element.tabIndex >= 0 && !element.disabled;
  }

  function openGroupsWithErrors() {
    var main = document.querySelector("main") || document.body;
    Array.prototype.forEach.call(main.querySelectorAll(ERRORS), function (element) {
      // Innermost first, then any closed group around that one.
      for (var group = element.closest("details:not([open])"); group;
           group = element.closest("details:not([open])")) {
        group.open = true;
      }
    });
  }

  function bringIntoView(error) {
    var target = error;  // what gets the focus
    var region = error;  // what must be seen
    if (error.matches(".errorlist")) {
      // A field error: focus the field it describes (Django links them with
      // aria-describedby, so the error is read out) and show both.
      var field = error.id && document.querySelector("[aria-describedby~='" + CSS.escape(error.id) + "']");
      if (field && isShown(field)) {
        target = field;
      }
    }
    if (target.matches("[aria-invalid='true']")) {
      region = target.closest(".field") || target;
    } else if (!isFocusable(target)) {
      target.setAttribute("tabindex", "-1");  // focusable from script only, not in the tab order
    }
    if (!target.closest("[role='alert']") && target === error) {
      error.setAttribute("role", "alert");
    }
    var box = region.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      region.scrollIntoView({ block: "center" });
    }
    target.focus({ preventScroll: true });
  }

  function showFirstError() {
    // The user may have moved on while the page loaded; an autofocus field is only a default.
    var active = document.activeElement;
    if (active && active !== document.body && !active.hasAttribute("autofocus")) {
      return;
    }
    openGroupsWithErrors();
    var error = firstError();
    if (error) {
      bringIntoView(error);
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".message.error a[href^='#']");
    var field = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field || !field.matches("input, select, textarea")) {
      return;
    }
    var group = field.closest("details:not([open])");
    if (group) {
      group.open = true;
    }
    field.focus();  // the link still scrolls it into view, with its label (scroll-margin-top)
  });

  function marked(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.hasAttribute("data-disable-on-submit");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    // htmx (and any other script) handles its own submits by cancelling them.
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) {
      return;
    }
    var buttons = marked(form);
    if (!buttons.length) {
      return;
    }
    if (form.hasAttribute("data-submitting")) {
      event.preventDefault();  // already on its way: a second post would start it twice
      return;
    }
    form.setAttribute("data-submitting", "");
    // On the next tick: a button disabled now would leave its name=value out of the post.
    window.setTimeout(function () {
      buttons.forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        var busyLabel = button.getAttribute("data-disable-on-submit");
        if (busyLabel && button.tagName === "BUTTON") {
          button.setAttribute("data-idle-label", button.textContent);
          button.textContent = busyLabel;
        }
      });
    }, 0);
  });

  // Back to a page kept in the back-forward cache: its buttons must work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      marked(form).forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        if (button.hasAttribute("data-idle-label")) {
          button.textContent = button.getAttribute("data-idle-label");
          button.removeAttribute("data-idle-label");
        }
      });
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showFirstError);
  } else {
    showFirstError();
  }
})();
