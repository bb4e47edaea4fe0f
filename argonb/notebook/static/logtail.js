// argonb log pane: a real tail. It sticks to the bottom while the reader is there, keeps the reader's
// place (the same line at the top) when they scrolled up, draws stderr apart, finds within the log and
// asks the kernel for the whole log ("show all") when only a bounded window is loaded.
function render({ model, el }) {
  el.classList.add("argonb-logtail");
  const bar = document.createElement("div");
  bar.className = "argonb-logbar";
  const title = document.createElement("span");
  title.className = "argonb-logtitle";
  const find = document.createElement("input");
  find.type = "search";
  find.placeholder = "find in log";
  find.className = "argonb-find";
  const found = document.createElement("span");
  found.className = "argonb-found";
  const all = document.createElement("button");
  all.className = "argonb-showall";
  all.textContent = "Show full log";
  const more = document.createElement("button");
  more.className = "argonb-more";
  more.style.display = "none";
  bar.append(title, find, found, all, more);
  const pre = document.createElement("pre");
  pre.className = "argonb-log";
  el.append(bar, pre);

  let source = null;
  let held = false; // the reader scrolled up: new lines wait (counted on the "new lines" button)
  let matches = [];
  let shownFirst = 0;
  let shownEnd = 0;
  let current = -1;

  const atBottom = () => pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;

  function anchor() {  // the first visible line (absolute index) and how far it is scrolled past
    const rows = pre.children;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (r.offsetTop + r.offsetHeight > pre.scrollTop) {
        return { line: shownFirst + i, delta: pre.scrollTop - r.offsetTop };
      }
    }
    return null;
  }

  function highlight(jump) {
    const needle = find.value.toLowerCase();
    matches = [];
    for (const row of pre.children) {
      const hit = needle !== "" && row.textContent.toLowerCase().includes(needle);
      row.classList.toggle("argonb-match", hit);
      row.classList.remove("argonb-current");
      if (hit) matches.push(row);
    }
    if (current >= matches.length) current = matches.length - 1;
    if (jump && matches.length) current = (current + 1) % matches.length;
    if (current >= 0 && matches[current]) {
      matches[current].classList.add("argonb-current");
      if (jump) matches[current].scrollIntoView({ block: "center" });
    }
    found.textContent = needle === "" ? "" : matches.length ? `${current + 1}/${matches.length}` : "no match";
  }

  function draw(keepPlace = false) {
    const sameSource = model.get("source") === source;
    const follow = !sameSource || atBottom();
    if (!follow && !keepPlace) {  // like `less +F`: what the reader looks at does not move under them
      held = true;
      const waiting = model.get("first") + model.get("lines").length - shownEnd;
      more.textContent = waiting > 0 ? `↓ ${waiting} new lines` : "↓ end";
      more.style.display = "";
      title.textContent = model.get("title");
      return;
    }
    held = false;
    more.style.display = "none";
    const place = follow ? null : anchor();
    source = model.get("source");
    const lines = model.get("lines");
    const frag = document.createDocumentFragment();
    for (const [stream, text] of lines) {
      const row = document.createElement("div");
      row.className = stream === "stderr" ? "argonb-line argonb-stderr" : "argonb-line";
      row.textContent = text === "" ? "\u200b" : text;
      frag.append(row);
    }
    if (!lines.length) {
      const row = document.createElement("div");
      row.className = "argonb-line argonb-empty";
      row.textContent = "(no output)";
      frag.append(row);
    }
    pre.replaceChildren(frag);
    shownFirst = model.get("first");
    shownEnd = shownFirst + lines.length;
    title.textContent = model.get("title");
    const total = model.get("total");
    all.style.display = model.get("loggable") && !model.get("show_all") ? "" : "none";
    all.title = total > lines.length ? `load all ${total} lines (${lines.length} shown)` : "read the log file again";
    if (!sameSource) current = -1;
    highlight(false);
    if (follow) {
      pre.scrollTop = pre.scrollHeight;
    } else if (place) {
      const i = place.line - shownFirst;
      const row = pre.children[Math.max(0, Math.min(i, pre.children.length - 1))];
      pre.scrollTop = i < 0 ? 0 : row.offsetTop + place.delta;
    }
  }

  function catchUp() { pre.scrollTop = pre.scrollHeight; if (held) draw(); }
  pre.addEventListener("scroll", () => { if (held && atBottom()) draw(); });
  more.addEventListener("click", catchUp);
  find.addEventListener("input", () => { current = -1; highlight(true); });
  find.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); highlight(true); } });
  all.addEventListener("click", () => { model.set("show_all", true); model.save_changes(); });
  for (const name of ["lines", "title", "total", "source", "loggable"]) model.on(`change:${name}`, () => draw());
  model.on("change:show_all", () => draw(true)); // the whole log arrived: re-drawn around the reader's line
  draw();
  requestAnimationFrame(() => { if (source === model.get("source")) pre.scrollTop = pre.scrollHeight; });
}
export default { render };
