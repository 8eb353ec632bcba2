// huikuan workbench: CSRF header on every htmx request, and the worklist keyboard (j/k, Enter, c).
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { e.detail.headers["X-CSRF-Token"] = meta.content; }
  });
  function typing(t) { return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable); }
  document.addEventListener("keydown", function (e) {
    var list = document.querySelector("[data-worklist]");
    if (!list || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-task]"));
    if (!items.length) { return; }
    var cur = list.querySelector(".sel");
    var i = cur ? items.indexOf(cur) : -1;
    function pick(n) {
      if (cur) { cur.classList.remove("sel"); cur.removeAttribute("aria-selected"); }
      cur = items[Math.max(0, Math.min(items.length - 1, n))];
      cur.classList.add("sel"); cur.setAttribute("aria-selected", "true");
      cur.scrollIntoView({block: "nearest"});
    }
    if (e.key === "j") { pick(i + 1); e.preventDefault(); }
    else if (e.key === "k") { pick(i - 1); e.preventDefault(); }
    else if (e.key === "Enter" && cur) { window.location = cur.dataset.open; e.preventDefault(); }
    else if (e.key === "c" && cur) { window.location = cur.dataset.contact; e.preventDefault(); }
  });
  // Excuse picked → show its suggested answer (the texts are in the page, from the catalogue).
  document.addEventListener("change", function (e) {
    if (e.target && e.target.name === "excuse") {
      var box = document.getElementById("excuse-answer");
      var opt = e.target.selectedOptions && e.target.selectedOptions[0];
      if (box) { box.textContent = opt ? (opt.dataset.answer || "") : ""; }
    }
  });
})();

// ECharts on a page (kpi.js, forecast.js, dashboard.js): hkCharts() gives make(id, option), which draws into
// the element with that id (SVG; nothing when the element is absent) and returns the chart; every chart made
// by it follows the window's size.
window.hkCharts = function () {
  "use strict";
  var charts = [];
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  return function make(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return null; }
    var chart = window.echarts.init(el, null, {renderer: "svg"});
    chart.setOption(option);
    charts.push(chart);
    return chart;
  };
};
