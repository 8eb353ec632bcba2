// The dashboard's aging chart (ECharts, vendored). Each bar links to the customers list.
window.addEventListener("load", function () {
  "use strict";
  var el = document.getElementById("aging-chart");
  if (!el || !window.echarts) { return; }
  var data = JSON.parse(el.dataset.chart);
  var colors = ["#12b76a", "#fdb022", "#f79009", "#f04438", "#b42318", "#7a271a", "#55160c", "#2d0a05"];
  var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
  var compact = new Intl.NumberFormat(zh ? "zh-CN" : "en", {notation: "compact", maximumFractionDigits: 1});
  var chart = window.hkCharts()("aging-chart", {
    grid: {left: 70, right: 16, top: 16, bottom: 40},
    tooltip: {trigger: "axis", valueFormatter: function (v) { return "¥" + Number(v).toLocaleString("zh-CN", {minimumFractionDigits: 2}); }},
    xAxis: {type: "category", data: data.labels},
    // Compact axis amounts in the page's language: ¥25亿 / ¥2.5B at 10^5 customers, ¥3万 / ¥30K for a small book.
    yAxis: {type: "value", axisLabel: {formatter: function (v) { return "¥" + compact.format(v); }}},
    series: [{type: "bar", stack: "aging", data: data.values.map(function (v, i) { return {value: v, itemStyle: {color: colors[i % 8]}}; })}]
  });
  chart.on("click", function () { window.location = "/customers"; });
});
