// The KPI page's charts (ECharts, vendored): DSO trend, roll rates, aging structure month by month.
window.addEventListener("load", function () {
  "use strict";
  var holder = document.getElementById("kpi-charts");
  if (!holder || !window.echarts) { return; }
  var data = JSON.parse(holder.dataset.charts);
  var colors = ["#12b76a", "#fdb022", "#f79009", "#f04438", "#b42318", "#7a271a", "#55160c", "#2d0a05"];
  var make = window.hkCharts();
  make("chart-dso", {
    grid: {left: 50, right: 16, top: 36, bottom: 30}, tooltip: {trigger: "axis"},
    legend: {top: 0}, xAxis: {type: "category", data: data.dso.months}, yAxis: {type: "value"},
    series: data.dso.series.map(function (s, i) {
      return {name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 7,
              lineStyle: {type: i ? "dashed" : "solid"}};
    })
  });
  make("chart-roll", {
    grid: {left: 50, right: 16, top: 24, bottom: 50}, tooltip: {trigger: "axis", valueFormatter: function (v) { return v == null ? "-" : v + "%"; }},
    xAxis: {type: "category", data: data.roll.labels, axisLabel: {interval: 0, fontSize: 11}},
    yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
    series: [{type: "bar", data: data.roll.values, itemStyle: {color: "#f79009"}, label: {show: true, position: "top", formatter: "{c}%"}}]
  });
  make("chart-aging", {
    grid: {left: 70, right: 16, top: 36, bottom: 30},
    tooltip: {trigger: "axis", valueFormatter: function (v) { return "¥" + Number(v).toLocaleString("zh-CN", {minimumFractionDigits: 2}); }},
    legend: {top: 0, type: "scroll"}, xAxis: {type: "category", data: data.aging.months},
    yAxis: {type: "value", axisLabel: {formatter: function (v) { return "¥" + (v >= 10000 ? (v / 10000) + "万" : v); }}},
    series: data.aging.labels.map(function (l, i) {
      return {name: l, type: "bar", stack: "aging", data: data.aging.values[i], itemStyle: {color: colors[i % 8]}};
    })
  });
});
