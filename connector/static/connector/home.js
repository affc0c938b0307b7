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
    options: {
      maintainAspectRatio: false, animation: false, scales: {y: {beginAtZero: true, ticks: {precision: 0}}},
      // A day's bar opens that day's runs.
      onClick: function (event, bars) {
        if (!bars.length) return;
        var day = series.dates[bars[0].index].split("-");
        window.location = canvas.dataset.runs + "&started_at__year=" + Number(day[0]) +
          "&started_at__month=" + Number(day[1]) + "&started_at__day=" + Number(day[2]);
      }
    }
  });
});
