/* Scorecard form: autosave drafts while typing, and one submission per click.
 * Served by the app; no inline script, so it runs under a strict Content-Security-Policy.
 * Without JavaScript the form still works through its "Save draft" and "Submit" buttons. */
(function () {
  "use strict";

  var form = document.getElementById("scorecard-form");
  if (!form) {
    return;
  }
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("autosave-status");
  var DELAY_MS = 1200;
  var timer = null;
  var inflight = null;
  var dirty = false;
  var stopped = false;

  function say(text, isError) {
    if (!status) {
      return;
    }
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function describe(body) {
    if (body && body.error) {
      return body.error;
    }
    if (body && body.errors) {
      var messages = [];
      Object.keys(body.errors).forEach(function (key) {
        messages = messages.concat(body.errors[key]);
      });
      return "Draft not saved: " + messages.join(" ");
    }
    return "Draft not saved. Use “Save draft” to try again.";
  }

  // Signing in again (in another tab, after the session expired) rotates the CSRF token:
  // take the current one from the cookie so neither autosave nor the buttons are refused.
  function refreshCsrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (match && input) {
      input.value = decodeURIComponent(match[1]);
    }
  }

  function formData() {
    refreshCsrfToken();
    var data = new FormData(form);
    data.delete("action");
    return data;
  }

  function save() {
    timer = null;
    if (stopped || !dirty || !url) {
      return;
    }
    dirty = false;
    if (inflight) {
      inflight.abort();
    }
    var controller = new AbortController();
    inflight = controller;
    say("Saving draft…");
    fetch(url, {
      method: "POST",
      body: formData(),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller.signal,
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            if (response.ok) {
              say("Draft saved at " + body.saved_at + ".");
              return;
            }
            if (response.status === 409) {
              stopped = true; // submitted elsewhere: saving now would open an amendment
            } else {
              dirty = true; // try again on the next keystroke
            }
            say(describe(body), true);
          });
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") {
          return;
        }
        dirty = true;
        say("Draft not saved: the server could not be reached. Use “Save draft” when you are back online.", true);
      })
      .finally(function () {
        if (inflight === controller) {
          inflight = null;
        }
      });
  }

  function schedule() {
    if (stopped) {
      return;
    }
    dirty = true;
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(save, DELAY_MS);
  }

  function buttons() {
    return form.querySelectorAll("button[type=submit]");
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);

  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-submitting") === "true") {
      event.preventDefault(); // a second click while the first is on its way
      return;
    }
    form.setAttribute("data-submitting", "true");
    refreshCsrfToken();
    stopped = true;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    // A disabled button is not sent, so carry the clicked one's value in a hidden input.
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = submitter.name;
      hidden.value = submitter.value;
      form.appendChild(hidden);
    }
    Array.prototype.forEach.call(buttons(), function (button) {
      button.disabled = true;
    });
    say(submitter && submitter.value === "submit" ? "Submitting…" : "Saving…");
  });

  // Back button (page restored from the cache): make the form usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    form.removeAttribute("data-submitting");
    form.querySelectorAll("input[type=hidden][name=action]").forEach(function (input) {
      input.remove();
    });
    Array.prototype.forEach.call(buttons(), function (button) {
      button.disabled = false;
    });
    stopped = false;
    say("");
  });

  // Leaving with unsaved keystrokes: send them on the way out.
  window.addEventListener("pagehide", function () {
    if (dirty && !stopped && url && navigator.sendBeacon) {
      navigator.sendBeacon(url, formData());
      dirty = false;
    }
  });

  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
