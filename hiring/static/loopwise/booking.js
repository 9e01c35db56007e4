// The booking page speaks in the candidate's time zone: on a first visit (no zone chosen
// yet) the browser's own zone is selected and the page reloaded in it. Without JavaScript
// the page shows the candidate's stored zone and the form changes it.
(function () {
  var root = document.querySelector(".booking");
  var select = document.getElementById("tz");
  if (!root || !select || root.dataset.askedZone === "yes") return;
  var detected;
  try { detected = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!detected || detected === select.value) return;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === detected) {
      select.value = detected;
      document.getElementById("zone-form").submit();
      return;
    }
  }
})();
