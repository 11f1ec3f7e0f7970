// The request page's upload of evidence, by the tus protocol
// (tus-js-client, in tus.min.js): the bytes go to the API's upload
// routes, which the UI's session authorises from this origin only. A
// dropped connection is retried from the offset the node holds; Pause
// stops the upload and Resume goes on from there, in this page or,
// after a reload, from the upload the browser remembers for the same
// file. Without JavaScript the form stays hidden and a note says so.
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("upload-form");
    if (!form) { return; }
    var status = document.getElementById("up-status");
    var bar = document.getElementById("up-progress");
    var startBtn = document.getElementById("up-start");
    var pauseBtn = document.getElementById("up-pause");
    var resumeBtn = document.getElementById("up-resume");
    var msg = form.dataset;
    if (!window.tus || !window.tus.isSupported) {
      var note = document.createElement("p");
      note.className = "error";
      note.textContent = msg.unsupported;
      form.replaceWith(note);
      return;
    }
    form.hidden = false;
    var upload = null;
    var sent = 0, total = 0;

    function size(n) {
      var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
      while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
      return (i === 0 ? n : n.toFixed(1)) + "\u00a0" + units[i];
    }
    // state names what the status says, for whoever reads the page by
    // its markup rather than its words.
    function say(template, extra, state) {
      var pct = total > 0 ? Math.floor(sent * 100 / total) : 0;
      status.dataset.state = state || "";
      status.textContent = template.replace("{sent}", size(sent)).replace("{total}", size(total))
        .replace("{percent}", String(pct)).replace("{error}", extra || "");
    }
    // The node answers a refusal as a problem document whose detail says
    // what to do next: show that, not the transport's words.
    function reason(err) {
      var res = err && err.originalResponse;
      if (res) {
        try {
          var p = JSON.parse(res.getBody());
          if (p && p.detail) { return p.detail; }
        } catch (e) { /* not a problem document */ }
      }
      return err && err.message ? err.message : String(err);
    }
    function retryable(err) {
      var res = err && err.originalResponse;
      var code = res ? res.getStatus() : 0;
      return code === 0 || code === 409 || code === 423 || code >= 500;
    }
    function buttons(running) {
      startBtn.hidden = true;
      pauseBtn.hidden = !running;
      resumeBtn.hidden = running;
    }
    function metadata(file) {
      var m = { filename: file.name, filetype: file.type || "application/octet-stream" };
      ["collected_by", "collected_where", "source", "tool", "retain_until"].forEach(function (name) {
        var v = form.elements[name].value.trim();
        if (v) { m[name] = v; }
      });
      // The personal data the file carries (art. 36): yes or no, and the
      // codes chosen, comma-separated.
      var pd = form.elements.personal_data.value;
      if (pd) { m.personal_data = pd; }
      ["data_categories", "persons_concerned"].forEach(function (name) {
        var chosen = Array.prototype.filter.call(form.elements[name].options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
        if (chosen.length) { m[name] = chosen.join(","); }
      });
      // The browser gives the local time the official typed; the node
      // takes RFC 3339, in UTC.
      var when = form.elements.collected_at.value;
      if (when) {
        var d = new Date(when);
        if (!isNaN(d.getTime())) { m.collected_at = d.toISOString().replace(/\.\d{3}Z$/, "Z"); }
      }
      return m;
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var file = form.elements.file.files[0];
      if (!file) { return; }
      total = file.size;
      sent = 0;
      var fields = form.querySelectorAll("input");
      upload = new window.tus.Upload(file, {
        endpoint: msg.endpoint,
        metadata: metadata(file),
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
        removeFingerprintOnSuccess: true,
        onShouldRetry: function (err) {
          var again = retryable(err);
          if (again) { say(msg.retrying, "", "retrying"); }
          return again;
        },
        onProgress: function (bytes, of) {
          sent = bytes;
          total = of;
          bar.value = of > 0 ? bytes * 100 / of : 0;
          say(bytes < of ? msg.progress : msg.finishing, "", "sending");
        },
        onError: function (err) {
          buttons(false);
          say(msg.failed, reason(err), "failed");
        },
        onSuccess: function () {
          bar.value = 100;
          window.location.assign(msg.done);
        }
      });
      fields.forEach(function (f) { f.disabled = true; });
      buttons(true);
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length > 0) {
          upload.resumeFromPreviousUpload(previous[0]);
          say(msg.resumed, "", "resumed");
        }
        upload.start();
      });
    });
    pauseBtn.addEventListener("click", function () {
      if (!upload) { return; }
      upload.abort().then(function () {
        buttons(false);
        say(msg.paused, "", "paused");
      });
    });
    resumeBtn.addEventListener("click", function () {
      if (!upload) { return; }
      buttons(true);
      upload.start();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
