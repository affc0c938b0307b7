// The connector home's charts: records synced and failures per day (Chart.js, vendored next to this file).
document.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
  var series = JSON.parse(canvas.dataset.series);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: series.labels,
      datasets: [
        {label: "Records synced", data: series.synced, backgroundColor: "#2e7d32"},
        {label: "Failures", data: series.failed, backgroundColor: "#c62828"}
      ]
    },
    options: {maintainAspectRatio: false, animation: false, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}
  });
});
