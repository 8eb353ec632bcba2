// The cash forecast's charts (ECharts, vendored): expected collections per week with the 80 % interval,
// and, for weeks that have passed, what was forecast beside what came in.
window.addEventListener("load", function () {
  "use strict";
  var holder = document.getElementById("forecast-charts");
  if (!holder || !window.echarts) { return; }
  var data = JSON.parse(holder.dataset.chart);
  var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
  var compact = new Intl.NumberFormat(zh ? "zh-CN" : "en", {notation: "compact", maximumFractionDigits: 1});
  var money = function (v) { return v == null ? "-" : "¥" + Number(v).toLocaleString("zh-CN", {minimumFractionDigits: 2}); };
  var make = window.hkCharts();
  var axis = {type: "value", axisLabel: {formatter: function (v) { return "¥" + compact.format(v); }}};
  make("chart-forecast", {
    grid: {left: 70, right: 16, top: 36, bottom: 30}, tooltip: {trigger: "axis", valueFormatter: money},
    legend: {top: 0}, xAxis: {type: "category", data: data.weeks}, yAxis: axis,
    series: [
      {name: data.names[0], type: "bar", data: data.expected, itemStyle: {color: "#1f5fa8"}},
      {name: data.names[1], type: "line", data: data.low, symbol: "none", lineStyle: {type: "dashed", color: "#98a2b3"}, itemStyle: {color: "#98a2b3"}},
      {name: data.names[2], type: "line", data: data.high, symbol: "none", lineStyle: {type: "dashed", color: "#667085"}, itemStyle: {color: "#667085"}}
    ]
  });
  make("chart-past", {
    grid: {left: 70, right: 16, top: 36, bottom: 30}, tooltip: {trigger: "axis", valueFormatter: money},
    legend: {top: 0}, xAxis: {type: "category", data: data.past.weeks}, yAxis: axis,
    series: [
      {name: data.past.names[0], type: "bar", data: data.past.forecast, itemStyle: {color: "#9bb8e0"}},
      {name: data.past.names[1], type: "bar", data: data.past.actual, itemStyle: {color: "#12b76a"}}
    ]
  });
});
