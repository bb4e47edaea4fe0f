// argonb graph + node table: click a graph node or a table row to select it (the kernel shows its panel),
// click "N hidden nodes" to expand a collapsed group, fit / zoom the graph, filter by phase and template.
// The SVG comes laid out from the kernel; only its size, highlight and filter are done here.
const PX_PER_PT = 96 / 72; // dot sizes its SVG in points; the pane is measured in CSS pixels
const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Error", "Skipped", "Omitted"];

function option(value, label) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}

function button(label, title) {
  const b = document.createElement("button");
  b.textContent = label;
  b.title = title;
  b.className = "argonb-tool";
  return b;
}

function render({ model, el }) {
  el.classList.add("argonb-browser");
  const bar = document.createElement("div");
  bar.className = "argonb-toolbar";
  const fit = button("fit", "fit the graph to the width");
  const zoomOut = button("−", "zoom out");
  const zoomIn = button("+", "zoom in");
  const actual = button("100%", "actual size");
  const zoomLabel = document.createElement("span");
  zoomLabel.className = "argonb-zoom";
  const phase = document.createElement("select");
  phase.className = "argonb-filter-phase";
  phase.append(option("", "all phases"), ...PHASES.map((p) => option(p, p)));
  const template = document.createElement("select");
  template.className = "argonb-filter-template";
  const expandAll = button("expand all", "show every hidden node");
  bar.append(fit, zoomOut, zoomIn, actual, zoomLabel, phase, template, expandAll);
  const graph = document.createElement("div");
  graph.className = "argonb-graph-pane";
  const table = document.createElement("div");
  table.className = "argonb-table-pane";
  el.append(bar, graph, table);

  let mode = "auto"; // auto: fit, or actual size centred on the root when fitting would be unreadable
  let scale = 1;
  let natural = null;
  let opened = false;

  function svg() { return graph.querySelector("svg"); }

  function applyScale() {
    const s = svg();
    if (!s || !natural) return;
    const room = Math.max(100, graph.clientWidth - 12);
    if (mode === "fit" || mode === "auto") {
      scale = Math.min(1, room / (natural.w * PX_PER_PT));
      if (mode === "auto" && scale < 0.35) scale = 1;
    }
    s.setAttribute("width", `${natural.w * scale}pt`);
    s.setAttribute("height", `${natural.h * scale}pt`);
    zoomLabel.textContent = `${Math.round(scale * 100)}%`;
  }

  function openOnRoot() {  // the first time the graph shows: the root in view (top, centred)
    const id = model.get("root_svg");
    const root = id ? graph.querySelector(`g#${CSS.escape(id)}`) : null;
    if (!root) return;
    const box = root.getBoundingClientRect();
    const pane = graph.getBoundingClientRect();
    graph.scrollLeft += box.left + box.width / 2 - (pane.left + pane.width / 2);
    graph.scrollTop = 0;
    opened = true;
  }

  function nodeOf(svgId) { return model.get("svg_keys")[svgId]; }

  function matches(key) {
    const info = model.get("node_info")[key];
    if (!info) return true;
    return (phase.value === "" || info[0] === phase.value) && (template.value === "" || info[1] === template.value);
  }

  function decorate() {
    const selected = model.get("selected");
    const filtering = phase.value !== "" || template.value !== "";
    for (const g of graph.querySelectorAll("g.node")) {
      const key = nodeOf(g.id) || "";
      g.classList.toggle("argonb-selected", key !== "" && key === selected);
      g.classList.toggle("argonb-dimmed", filtering && !key.startsWith("collapsed:") && !matches(key));
      g.classList.toggle("argonb-clickable", key !== "");
    }
    for (const tr of table.querySelectorAll("tr[data-node]")) {
      const key = tr.getAttribute("data-node");
      tr.classList.toggle("argonb-selected", key === selected);
      tr.style.display = filtering && !matches(key) ? "none" : "";
    }
  }

  function drawTemplates() {
    const keep = template.value;
    const names = [...new Set(Object.values(model.get("node_info")).map((i) => i[1]).filter(Boolean))].sort();
    template.replaceChildren(option("", "all templates"), ...names.map((n) => option(n, n)));
    template.value = names.includes(keep) ? keep : "";
  }

  function drawGraph() {
    const left = graph.scrollLeft, top = graph.scrollTop;
    graph.innerHTML = model.get("svg");
    const s = svg();
    natural = null;
    if (s) {
      const vb = (s.getAttribute("viewBox") || "").split(/[ ,]+/).map(Number);
      natural = vb.length === 4 ? { w: vb[2], h: vb[3] } : { w: parseFloat(s.getAttribute("width")), h: parseFloat(s.getAttribute("height")) };
      s.style.maxWidth = "none";
    }
    applyScale();
    graph.scrollLeft = left;
    graph.scrollTop = top;
    expandAll.style.display = Object.keys(model.get("svg_keys")).some((k) => (nodeOf(k) || "").startsWith("collapsed:")) ? "" : "none";
    drawTemplates();
    decorate();
    if (!opened && s) requestAnimationFrame(openOnRoot);
  }

  function drawTable() {
    const top = table.scrollTop;
    table.innerHTML = model.get("table");
    table.scrollTop = top;
    decorate();
  }

  function choose(key) {  // also a message: a click on the node already shown pins it (no trait change)
    model.set("selected", key);
    model.save_changes();
    model.send({ event: "select", node: key });
    decorate();
  }

  graph.addEventListener("click", (e) => {
    const g = e.target.closest("g.node");
    const key = g && nodeOf(g.id);
    if (!key) return;
    if (key.startsWith("collapsed:")) {
      opened = false; // the new layout opens on the root again
      model.send({ event: "expand", parent: key.slice("collapsed:".length) });
    }
    else choose(key);
  });
  table.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-node]");
    if (!tr) return;
    choose(tr.getAttribute("data-node"));
  });
  fit.addEventListener("click", () => { mode = "fit"; applyScale(); });
  actual.addEventListener("click", () => { mode = "manual"; scale = 1; applyScale(); });
  zoomIn.addEventListener("click", () => { mode = "manual"; scale = Math.min(4, scale * 1.25); applyScale(); });
  zoomOut.addEventListener("click", () => { mode = "manual"; scale = Math.max(0.05, scale / 1.25); applyScale(); });
  expandAll.addEventListener("click", () => { opened = false; model.send({ event: "expand", parent: "*" }); });
  phase.addEventListener("change", decorate);
  template.addEventListener("change", decorate);
  model.on("change:svg", drawGraph);
  model.on("change:table", drawTable);
  model.on("change:selected", decorate);
  model.on("change:node_info", () => { drawTemplates(); decorate(); });
  drawGraph();
  drawTable();
  requestAnimationFrame(() => { applyScale(); if (!opened) openOnRoot(); });
}
export default { render };
