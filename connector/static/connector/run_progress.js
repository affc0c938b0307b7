// A running run's progress, asked every 2 s as JSON (no page reload); stops once the run has finished.
(function () {
  var box = document.getElementById("run-progress");
  if (!box || box.dataset.running !== "1") return;
  var timer = setInterval(function () {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (answer) { return answer.json(); })
      .then(function (p) {
        document.getElementById("run-status").textContent = p.status;
        document.getElementById("run-done").textContent = p.words;
        if (!p.running) clearInterval(timer);
      }).catch(function () {});
  }, 2000);
})();
