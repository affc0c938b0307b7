// One bar chart per project of the job cost report (Chart.js, vendored next to this file).
document.querySelectorAll("canvas[data-figures]").forEach(function (canvas) {
  var f = JSON.parse(canvas.dataset.figures);
  var colours = ["#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f", "#5d4037"];
  new Chart(canvas, {
    type: "bar",
    data: {labels: f.labels, datasets: [{label: f.currency || "Amount", data: f.values, backgroundColor: colours}]},
    options: {maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}},
              scales: {y: {beginAtZero: true}}}
  });
});
