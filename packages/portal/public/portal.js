// Progress of a long action (unshelve takes minutes): polls the desktop's state and reloads the
// page when the action is done. Without JavaScript the page still works: reload it by hand.
"use strict";
(function () {
  var region = document.getElementById("progress");
  if (!region || !region.dataset.poll) return;
  var url = region.dataset.poll;
  var message = document.getElementById("progress-message");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : Promise.reject(new Error("status " + r.status));
      })
      .then(function (s) {
        var status = document.getElementById("status");
        if (status) {
          status.textContent = s.statusText;
          status.dataset.status = s.status;
        }
        if (s.progress && message) message.textContent = s.progress.message;
        if (!s.progress || s.progress.done) window.location.reload();
        else setTimeout(poll, 2000);
      })
      .catch(function () {
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 2000);
})();
