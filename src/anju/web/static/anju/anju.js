// anju shell behaviour: lazy division tree, live job progress, confirm dialogs. No dependencies.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".tree-toggle");
    if (!toggle) return;
    var node = toggle.closest(".tree-node");
    var open = toggle.getAttribute("aria-expanded") === "true";
    var list = node.querySelector(":scope > ul");
    if (open) {
      toggle.setAttribute("aria-expanded", "false");
      if (list) list.hidden = true;
      return;
    }
    toggle.setAttribute("aria-expanded", "true");
    if (list) { list.hidden = false; return; }
    list = document.createElement("ul");
    list.className = "tree";
    node.appendChild(list);
    fetch(toggle.dataset.url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) { list.innerHTML = html; })
      .catch(function () { list.innerHTML = "<li class=\"error\">!</li>"; });
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  var box = document.querySelector("[data-job]");
  if (box) {
    var bar = box.querySelector(".progress-bar");
    var meter = box.querySelector("[role=progressbar]");
    var poll = function () {
      fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "X-Anju-Passive": "1" } })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          bar.style.width = job.progress + "%";
          meter.setAttribute("aria-valuenow", job.progress);
          box.querySelector("[data-job-message]").textContent = job.progress + "% " + (job.message || "");
          var state = box.querySelector("[data-job-state]");
          state.textContent = job.state_label;
          state.className = "tag tag-" + job.state;
          if (job.error) {
            var err = box.querySelector("[data-job-error]");
            err.textContent = job.error;
            err.hidden = false;
          }
          // A failed job's reasons, or a finished job's row-level problems (an import's rejected rows).
          var list = box.querySelector("[data-job-detail]");
          if (job.finished && !list.children.length) {
            (job.problems || []).forEach(function (line) {
              var li = document.createElement("li");
              li.textContent = line;
              list.appendChild(li);
            });
          }
          if (job.has_file) box.querySelector("[data-job-download]").hidden = false;
          if (!job.finished) window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    var initial = box.querySelector("[data-job-state]").className;
    if (initial.indexOf("succeeded") < 0 && initial.indexOf("failed") < 0) window.setTimeout(poll, 500);
  }
})();
