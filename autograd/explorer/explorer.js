/* chainrule explorer: draws step i of the record embedded in the page, in two views, and nothing else.
 *
 * All state is the data object D (nodes with where each view draws them, steps, legend, code)
 * written by autograd/explorer/record.py, one step index `at` and the view shown. render(i)
 * derives what step i looks like from D alone and writes it to the pictures and the panels (whose
 * text panels.js writes). Every number shown is a string from D: this script computes no numbers.
 * Text from D only ever goes in as text (textContent, or through esc() in panels.js). */
(function () {
  "use strict";

  const D = JSON.parse(document.getElementById("explorer-data").textContent);
  const N = D.steps.length;
  const F = D.forwardSteps; // steps [0, F) are the forward pass, F is the seed, (F, N) the backward pass
  const $ = (id) => document.getElementById(id);
  const NS = "http://www.w3.org/2000/svg";
  const FONT = 12; // the drawing's text height, in its units (placement.py)
  const LINE = 1.3 * FONT;
  const PAD = 0.5 * FONT;
  const MAX_TEXT = 20; // CSS px: the largest text a fitted picture shows
  function make(tag, attrs, parent, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  const stepsInto = D.nodes.map(() => []); // backward step indices per receiver, in order
  D.steps.forEach((s, i) => { if (s.kind === "backward") stepsInto[s.node].push(i); });
  const forwardAt = new Map(); // node -> its forward step
  D.steps.forEach((s, i) => { if (s.kind === "forward") forwardAt.set(s.node, i); });
  const P = chainrulePanels(D, stepsInto); // panels.js

  // --- the graph view: a box per Value (name, data, gradient), an edge per input -----------------
  function boxTexts(g, b, lines) {
    return lines.map((t, r) => make("text", {
      x: b.x + b.w / 2, y: b.y + PAD / 2 + LINE * (r + 0.78), "text-anchor": "middle", "font-size": FONT,
      class: r === 0 ? "name" : "",
    }, g, t));
  }
  // A text wider than its box (fonts differ from the width placement.py assumed) is narrowed to fit.
  function squeeze(t, room) {
    t.removeAttribute("textLength");
    t.removeAttribute("lengthAdjust");
    if (t.getComputedTextLength() > room) {
      t.setAttribute("textLength", String(room));
      t.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }
  const squeezed = new Set(); // the views whose static texts have been measured (once shown)
  function squeezeAll(v) {
    if (squeezed.has(v)) return;
    squeezed.add(v);
    views[v].svg.querySelectorAll(".node").forEach((g) => {
      const room = Number(g.querySelector("rect").getAttribute("width")) - PAD;
      g.querySelectorAll("text").forEach((t) => { if (t.textContent) squeeze(t, room); });
    });
  }
  function setText(t, text, room) {
    if (t.textContent === text) return;
    t.textContent = text;
    squeeze(t, room);
  }
  function nodeGroup(parent, name, k, cls) {
    const g = make("g", { class: `node ${cls}`, "data-name": name, tabindex: 0, role: "button" }, parent);
    g.dataset.node = String(k);
    return g;
  }
  // A Value with a note (the tutorial printed a number for it): a dot on its box's corner.
  function mark(g, b, note) {
    const dot = make("circle", { class: "noted", cx: b.x + b.w - 2, cy: b.y + 2, r: FONT * 0.33 }, g);
    make("title", {}, dot, note.split(" · ")[0]);
  }
  function curve(x1, y1, x2, y2) {
    const dx = Math.max(12, (x2 - x1) / 2);
    return `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
  }
  function buildGraph() {
    const svg = make("svg", { id: "graph-view", role: "group", "aria-label": "the graph of Values" }, $("graph"));
    const edges = make("g", { class: "edges" }, svg);
    const halo = make("path", { class: "halo", "stroke-width": 9, "vector-effect": "non-scaling-stroke" }, edges);
    const nodesLayer = make("g", { class: "nodes" }, svg);
    const boxes = new Map();
    const edgeOf = new Map(); // "k:e" -> path of node k's input edge e
    D.nodes.forEach((n, k) => {
      if (!n.box) return;
      const b = n.box;
      const g = nodeGroup(nodesLayer, n.name, k, n.kind);
      g.setAttribute("aria-label", `${n.name}: ${n.op ? n.op + ", " : ""}data ${n.data}`);
      const rect = make("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 5, "vector-effect": "non-scaling-stroke" }, g);
      const [, , grad] = boxTexts(g, b, [n.nameBox, n.dataBox, ""]);
      if (n.note) mark(g, b, n.note);
      boxes.set(k, { g, rect, grad, b, fill0: null });
      n.inputs.forEach((inp, e) => {
        const from = D.nodes[inp.node];
        if (!from || !from.box) return;
        const s = from.box;
        const path = make("path", {
          class: "edge", d: curve(s.x + s.w, s.y + s.h / 2, b.x, b.y + b.h / 2), "vector-effect": "non-scaling-stroke",
        }, edges);
        make("title", {}, path, `${inp.name} → ${n.name}: local derivative ${inp.local}`);
        path.dataset.edge = `${k}:${e}`;
        edgeOf.set(`${k}:${e}`, path);
      });
    });
    const tag = make("g", { class: "tag" }, svg);
    return { svg, boxes, edgeOf, halo, tag, width: D.graph.width, height: D.graph.height, top: 0 };
  }

  // --- the network view: units in columns, an edge per weight ---------------------------------------
  function buildNetwork() {
    const W = D.network;
    const svg = make("svg", { id: "network-view", role: "group", "aria-label": "the network" }, $("graph"));
    W.columns.forEach((c) => make("text", { x: c.x, y: -0.9 * FONT, "text-anchor": "middle", "font-size": FONT, class: "coltitle" }, svg, c.title));
    const links = make("g", { class: "links" }, svg);
    const halo = make("path", { class: "halo", "stroke-width": 9, "vector-effect": "non-scaling-stroke" }, links);
    const layer = make("g", { class: "units" }, svg);
    const unitOf = new Map(); // node -> unit index
    const linkOf = new Map(); // weight node -> link index
    const units = W.units.map((u, q) => {
      const n = D.nodes[u.node];
      const g = nodeGroup(layer, n ? n.name : u.name, u.node, n ? n.kind : "operation");
      g.classList.add("unit");
      g.setAttribute("aria-label", `${n ? n.name : u.name}: data ${n ? n.data : ""}`);
      const rect = make("rect", { x: u.x, y: u.y, width: u.w, height: u.h, rx: 8, "vector-effect": "non-scaling-stroke" }, g);
      const name = n ? n.name : u.name;
      const lines = u.lines === 3 ? [name, n ? n.dataBox : "", ""] : [`${name} ${n ? n.dataBox : ""}`];
      const texts = boxTexts(g, u, lines);
      const noted = u.nodes.map((k) => D.nodes[k].note).filter(Boolean);
      if (noted.length) mark(g, u, noted.join(" · "));
      u.nodes.forEach((k) => unitOf.set(k, q));
      return { g, rect, grad: u.lines === 3 ? texts[2] : null, b: u, node: u.node };
    });
    const paths = W.links.map((l, q) => {
      const a = W.units[l.from], b = W.units[l.to];
      const path = make("path", {
        class: "link", d: curve(a.x + a.w, a.y + a.h / 2, b.x, b.y + b.h / 2), "vector-effect": "non-scaling-stroke",
      }, links);
      if (l.node >= 0) {
        const w = D.nodes[l.node];
        path.setAttribute("data-name", w.name);
        path.dataset.node = String(l.node);
        make("title", {}, path, `${w.name} = ${w.data} (a weight: ${a.name} → ${b.name})`);
        linkOf.set(l.node, q);
      } else {
        make("title", {}, path, `${a.name} → ${b.name}`);
      }
      return path;
    });
    const tag = make("g", { class: "tag" }, svg);
    return { svg, units, paths, unitOf, linkOf, halo, tag, width: W.width, height: W.height, top: 2 * FONT };
  }

  const views = { graph: buildGraph() };
  if (D.network) views.network = buildNetwork();
  let view = D.network ? "network" : "graph";

  // --- fitting, zoom and pan: the viewBox; never moved by stepping --------------------------------
  const pane = $("graph");
  const camera = { graph: { z: 1, cx: null, cy: null }, network: { z: 1, cx: null, cy: null } };
  function fit(v) {
    const V = views[v];
    const cam = camera[v];
    const m = FONT; // margin
    const w = V.width + 2 * m, h = V.height + V.top + 2 * m;
    if (cam.cx === null) { cam.cx = V.width / 2; cam.cy = (V.height - V.top) / 2; }
    // Fitted both ways, but a small graph is not blown up past MAX_TEXT px text.
    const least = FONT / MAX_TEXT;
    const vw = Math.max(w, pane.clientWidth * least) / cam.z, vh = Math.max(h, pane.clientHeight * least) / cam.z;
    V.svg.setAttribute("viewBox", `${cam.cx - vw / 2} ${cam.cy - vh / 2} ${vw} ${vh}`);
  }
  function scaleOf(v) { // CSS px per drawing unit
    const V = views[v];
    const vb = V.svg.viewBox.baseVal;
    if (!vb || !vb.width || !pane.clientWidth) return 0;
    return Math.min(pane.clientWidth / vb.width, pane.clientHeight / vb.height);
  }
  function textPx() { return FONT * scaleOf(view); }
  function zoomBy(f) {
    const cam = camera[view];
    cam.z = Math.max(0.5, Math.min(40, cam.z * f));
    fit(view);
    render(at);
  }
  function resetZoom() {
    camera[view] = { z: 1, cx: null, cy: null };
    fit(view);
    render(at);
  }
  let drag = null;
  pane.addEventListener("pointerdown", (e) => {
    if (e.target.closest(".node")) return;
    drag = { x: e.clientX, y: e.clientY };
    pane.setPointerCapture(e.pointerId);
  });
  pane.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const s = scaleOf(view) || 1;
    const cam = camera[view];
    cam.cx -= (e.clientX - drag.x) / s;
    cam.cy -= (e.clientY - drag.y) / s;
    drag = { x: e.clientX, y: e.clientY };
    fit(view);
    placeLeader(at);
  });
  pane.addEventListener("pointerup", () => { drag = null; });
  pane.addEventListener("wheel", (e) => { e.preventDefault(); zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15); }, { passive: false });

  // --- what step i looks like, derived from D alone ------------------------------------------------
  function stateAt(i) {
    const last = D.nodes.map(() => -1); // each node's latest backward (or seed) step at or before i
    const edge = new Map(); // "k:e" -> the step that sent along input edge e of node k
    for (let j = F; j <= i && j < N; j++) {
      const s = D.steps[j];
      last[s.node] = j;
      if (s.kind === "backward") edge.set(`${s.consumer}:${s.input}`, s);
    }
    return { i, last, edge, backward: i >= F };
  }
  const appeared = (k, i) => !forwardAt.has(k) || forwardAt.get(k) <= i || i >= F;
  function setClasses(g, on) {
    for (const c of ["unseen", "fresh", "receiver", "consumer", "complete", "selected"]) g.classList.toggle(c, on.includes(c));
  }

  let selected = -1;
  function drawGraph(st) {
    const G = views.graph;
    const cur = D.steps[st.i];
    G.boxes.forEach((box, k) => {
      const j = st.last[k];
      const s = j >= 0 ? D.steps[j] : null;
      const on = [];
      if (!appeared(k, st.i)) on.push("unseen");
      if (cur.kind === "forward" && cur.node === k) on.push("fresh");
      if (cur.kind !== "forward" && cur.node === k) on.push("receiver");
      if (cur.kind === "backward" && cur.consumer === k) on.push("consumer");
      if (s && (s.kind === "seed" || s.complete)) on.push("complete");
      if (k === selected) on.push("selected");
      setClasses(box.g, on);
      box.rect.style.fill = st.backward ? (s ? s.fill : "var(--fill-intermediate)") : "";
      setText(box.grad, st.backward ? (s ? s.totalBox : "0") : "", box.b.w - PAD);
    });
    G.edgeOf.forEach((path, key) => {
      const k = Number(key.split(":")[0]);
      const sent = st.edge.get(key);
      path.classList.toggle("unseen", !appeared(k, st.i));
      path.classList.toggle("current", cur.kind === "backward" && `${cur.consumer}:${cur.input}` === key);
      path.style.stroke = sent ? sent.edgeColor : "";
      path.style.strokeWidth = sent ? `${sent.edgeWidth}px` : "";
    });
    // The current edge carries its local derivative; the other edges' are their tooltips (a tag on
    // every input edge of the consumer was tried: between ranks they cover the boxes).
    const now = cur.kind === "backward" ? G.edgeOf.get(`${cur.consumer}:${cur.input}`) : null;
    showTag(G, now, now ? D.nodes[cur.consumer].inputs[cur.input].local : "");
  }
  function drawNetwork(st) {
    const W = views.network;
    const cur = D.steps[st.i];
    const totalOf = (k) => (st.last[k] >= 0 ? D.steps[st.last[k]] : null);
    W.units.forEach((u, q) => {
      const s = totalOf(u.node);
      const on = [];
      const members = D.network.units[q].nodes;
      if (cur.kind === "forward" && members.includes(cur.node)) on.push("fresh");
      if (cur.kind !== "forward" && members.includes(cur.node)) on.push("receiver");
      if (cur.kind === "backward" && members.includes(cur.consumer) && !members.includes(cur.node)) on.push("consumer");
      if (s && (s.kind === "seed" || s.complete)) on.push("complete");
      if (members.includes(selected)) on.push("selected");
      if (!st.backward && !members.some((k) => appeared(k, st.i))) on.push("unseen");
      setClasses(u.g, on);
      u.rect.style.fill = st.backward ? (s ? s.fill : "var(--fill-intermediate)") : "";
      if (u.grad) setText(u.grad, st.backward ? (s ? s.totalBox : "0") : "", u.b.w - PAD);
    });
    W.paths.forEach((path, q) => {
      const l = D.network.links[q];
      // A weight's edge shows the weight's gradient; an edge into the loss, its source's.
      const from = D.network.units[l.from].node;
      const s = l.node >= 0 ? totalOf(l.node) : l.node === -1 && from >= 0 ? totalOf(from) : null;
      path.classList.toggle("zero", !s);
      path.style.stroke = s ? s.totalColor : "";
      path.style.strokeWidth = s ? `${s.totalWidth}px` : "1px";
      path.classList.toggle("current", cur.kind !== "forward" && l.node === cur.node);
      path.classList.toggle("receiver", cur.kind !== "forward" && l.node === cur.node);
    });
    const link = cur.kind === "backward" && W.linkOf.has(cur.node) ? W.paths[W.linkOf.get(cur.node)] : null;
    showTag(W, link, link ? D.nodes[cur.node].name : "");
  }
  // The edge label shown: a tag at the middle of the current edge, over a halo along it; every
  // other edge's label is its tooltip.
  function showTag(V, path, text) {
    V.tag.replaceChildren();
    V.halo.setAttribute("d", path ? path.getAttribute("d") : "");
    if (!path) return;
    const p = path.getPointAtLength(path.getTotalLength() / 2);
    const size = Math.max(FONT, 12 / (scaleOf(view) || 1)); // at least 12 CSS px
    const t = make("text", { x: p.x, y: p.y + size * 0.35, "text-anchor": "middle", "font-size": size }, V.tag, text);
    const b = t.getBBox();
    V.tag.insertBefore(make("rect", {
      x: b.x - 3, y: b.y - 1, width: b.width + 6, height: b.height + 2, rx: 3, "vector-effect": "non-scaling-stroke",
    }), t);
  }

  // --- the leader line: from the docked equation to what it explains --------------------------------
  function targetOf(i) {
    const s = D.steps[i];
    const V = views[view];
    if (view === "graph") {
      if (s.kind === "backward") {
        const path = V.edgeOf.get(`${s.consumer}:${s.input}`);
        if (path) return V.tag.querySelector("rect") || path;
      }
      const box = V.boxes.get(s.node);
      return box ? box.rect : null;
    }
    if (V.linkOf.has(s.node)) return V.tag.querySelector("rect") || V.paths[V.linkOf.get(s.node)];
    const q = V.unitOf.get(s.node);
    return q === undefined ? null : V.units[q].rect;
  }
  function placeLeader(i) {
    const line = $("leader-line"), dot = $("leader-dot");
    const target = targetOf(i);
    const r = target ? target.getBoundingClientRect() : null;
    const p = pane.getBoundingClientRect();
    const c = $("callout").getBoundingClientRect();
    const inside = r && r.width + r.height > 0 && r.right > p.left && r.left < p.right && r.bottom > p.top && r.top < p.bottom;
    line.style.display = dot.style.display = inside ? "" : "none";
    if (!inside) return;
    const tx = Math.min(r.right, p.right - 2), ty = Math.max(p.top + 2, Math.min(p.bottom - 2, (r.top + r.bottom) / 2));
    line.setAttribute("x1", String(c.left));
    line.setAttribute("y1", String(c.top + c.height / 2));
    line.setAttribute("x2", String(tx));
    line.setAttribute("y2", String(ty));
    dot.setAttribute("cx", String(tx));
    dot.setAttribute("cy", String(ty));
  }

  // --- the code pane ---------------------------------------------------------------------------------
  const codeBox = $("code");
  codeBox.style.position = "relative";
  const plain = (n) => `<i>${n}</i>${P.esc(D.code.lines[n - 1])}`;
  const codeLines = [];
  if (D.code) {
    const frag = document.createDocumentFragment();
    D.code.lines.forEach((text, n) => {
      const div = document.createElement("div");
      div.className = "ln";
      div.innerHTML = plain(n + 1);
      codeLines.push(div);
      frag.appendChild(div);
    });
    codeBox.appendChild(frag);
  } else {
    const note = document.createElement("div");
    note.className = "code-note";
    note.textContent = D.codeNote || "no code for this graph";
    codeBox.appendChild(note);
    codeBox.style.height = "auto"; // a line of note: the picture gets the room
  }
  let lit = [];
  let marked = null; // the line whose term is marked, to write back plain
  function showCode(i) {
    const s = D.steps[i];
    $("code-title").textContent = s.kind === "forward" ? "The forward pass, written out" : "The backward pass, written out";
    if (!D.code) return;
    lit.forEach((el) => el.classList.remove("hl", "hl2"));
    lit = [];
    if (marked) { codeLines[marked - 1].innerHTML = plain(marked); marked = null; }
    const v = D.nodes[s.node];
    const lines = s.kind === "forward" ? v.forwardLines : v.gradientLines;
    const where = $("code-where");
    if (!lines.length) {
      where.textContent = s.kind === "forward" ? `${v.name}: a constant, written into the code`
        : `${v.name}: no line of its own`;
    } else {
      where.textContent = `line ${lines.join(", ")}: ${s.kind === "forward" ? "computes" : "the gradient of"} ${v.name}`;
    }
    lines.forEach((n) => { const el = codeLines[n - 1]; if (el) { el.classList.add("hl"); lit.push(el); } });
    if (s.kind === "backward" && s.term) {
      const [n, b, e] = s.term; // this step's own term of the receiver's sum
      const text = D.code.lines[n - 1];
      const parts = [text.slice(0, b), text.slice(b, e), text.slice(e)].map(P.esc);
      codeLines[n - 1].innerHTML = `<i>${n}</i>${parts[0]}<mark>${parts[1]}</mark>${parts[2]}`;
      marked = n;
    }
    if (s.kind === "backward") {
      for (const n of D.nodes[s.consumer].gradientLines) { // where the upstream gradient was computed
        const el = codeLines[n - 1];
        if (el) { el.classList.add("hl2"); lit.push(el); }
      }
    }
    const focus = marked ? codeLines[marked - 1] : lit[0];
    if (focus) codeBox.scrollTop = Math.max(0, focus.offsetTop - codeBox.clientHeight / 2 + focus.offsetHeight / 2);
  }

  // --- the one index, and render(i) --------------------------------------------------------------
  let at = 0;
  function render(i) {
    at = Math.max(0, Math.min(N - 1, i));
    const s = D.steps[at];
    const st = stateAt(at);
    if (view === "graph") drawGraph(st); else drawNetwork(st);
    $("counter").textContent = `step ${at + 1} of ${N}`;
    $("slider").value = String(at + 1);
    const phase = $("phase");
    phase.textContent = s.kind === "forward" ? "forward pass" : "backward pass";
    phase.className = `pill ${s.kind === "forward" ? "forward" : "backward"}`;
    $("callout").innerHTML = P.callout(at);
    $("step").innerHTML = P.stepPanel(at);
    $("record").innerHTML = P.recordPanel(selected, at);
    showCode(at);
    placeLeader(at);
    document.body.dataset.step = String(at + 1);
  }
  function select(k) {
    selected = k === selected ? -1 : k;
    if (selected >= 0) $("node-panel").open = true;
    render(at);
  }
  function show(v) {
    if (!views[v]) return;
    view = v;
    for (const [name, V] of Object.entries(views)) V.svg.classList.toggle("hidden", name !== v);
    $("view").textContent = v === "graph" && views.network ? "network view" : "graph view";
    $("view").setAttribute("aria-label", `switch to the ${v === "graph" ? "network" : "graph"} view (v)`);
    $("view").hidden = !views.network;
    fit(v);
    squeezeAll(v);
    render(at);
  }

  // --- steps worth taking: one at a time, a node at a time, a layer at a time ---------------------
  const groupOf = (i, by) => {
    const s = D.steps[i];
    const k = s.kind === "backward" ? s.consumer : s.node;
    return `${s.kind === "forward" ? "f" : "b"}${by === "layer" ? D.nodes[k].layer : k}`;
  };
  function jump(dir, by) {
    let j = at;
    const g = groupOf(at, by);
    while (j + dir >= 0 && j + dir < N && groupOf(j + dir, by) === g) j += dir;
    j += dir;
    if (dir < 0) { // to the first step of the previous group
      const h = j >= 0 ? groupOf(j, by) : null;
      while (j - 1 >= 0 && groupOf(j - 1, by) === h) j -= 1;
    }
    render(j);
  }

  // --- controls --------------------------------------------------------------------------------------
  let timer = null;
  function play(on) {
    if (timer) { clearInterval(timer); timer = null; }
    if (on) {
      if (at >= N - 1) render(0);
      timer = setInterval(() => { render(at + 1); if (at >= N - 1) play(false); }, 1000 / Number($("speed").value));
    }
    $("play").textContent = timer ? "pause" : "play";
    $("play").setAttribute("aria-label", timer ? "pause" : "play");
    $("play").classList.toggle("playing", !!timer);
  }
  $("home").onclick = () => render(0);
  $("prev").onclick = () => render(at - 1);
  $("next").onclick = () => render(at + 1);
  $("end").onclick = () => render(N - 1);
  $("play").onclick = () => play(!timer);
  $("view").onclick = () => show(view === "graph" ? "network" : "graph");
  $("speed").onchange = () => { if (timer) play(true); };
  $("slider").max = String(N);
  $("slider").title = `steps 1-${F}: forward pass; ${F + 1}: the seed; ${F + 2}-${N}: backward pass`;
  $("slider").oninput = (e) => render(Number(e.target.value) - 1);
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLSelectElement || e.target === $("find") || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target === $("slider") && e.key.startsWith("Arrow")) return; // the slider steps itself
    const node = e.target instanceof Element ? e.target.closest(".node") : null;
    if (node && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); select(Number(node.dataset.node)); return; }
    if (e.target instanceof HTMLButtonElement && (e.key === "Enter" || e.key === " ")) return;
    const dir = { ArrowRight: 1, ArrowLeft: -1, PageDown: 1, PageUp: -1, "]": 1, "[": -1 }[e.key];
    if (e.key === "Home" || e.key === "End") { e.preventDefault(); render(e.key === "Home" ? 0 : N - 1); }
    else if ((e.key === "PageDown" || e.key === "PageUp" || e.key === "[" || e.key === "]")) { e.preventDefault(); jump(dir, "layer"); }
    else if (dir && e.shiftKey) { e.preventDefault(); jump(dir, "node"); }
    else if (dir) { e.preventDefault(); render(at + dir); }
    else if (e.key === " ") { e.preventDefault(); play(!timer); }
    else if (e.key === "v") show(view === "graph" ? "network" : "graph");
    else if (e.key === "+" || e.key === "=") zoomBy(1.25);
    else if (e.key === "-") zoomBy(1 / 1.25);
    else if (e.key === "0") resetZoom();
  });
  pane.addEventListener("click", (e) => {
    const g = e.target.closest(".node, .link[data-node]");
    if (g) select(Number(g.dataset.node));
  });
  for (const panel of [$("record"), $("step")]) {
    panel.addEventListener("click", (e) => {
      const row = e.target.closest("tr.jump");
      if (!row) return;
      if (row.dataset.step) render(Number(row.dataset.step));
      else if (row.dataset.node) select(Number(row.dataset.node));
    });
  }
  $("find").addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    const q = e.target.value.trim();
    const hits = q ? D.nodes.map((n, k) => [n.name, k]).filter(([name]) => name.includes(q)) : [];
    const exact = hits.find(([name]) => name === q);
    const k = exact ? exact[1] : hits.length ? hits[0][1] : -1;
    e.target.classList.toggle("miss", !!q && k < 0);
    if (k >= 0) { selected = -1; select(k); }
  });
  $("zoom-in").onclick = () => zoomBy(1.25);
  $("zoom-out").onclick = () => zoomBy(1 / 1.25);
  $("zoom-fit").onclick = () => resetZoom();
  window.addEventListener("resize", () => placeLeader(at));
  $("node-panel").addEventListener("toggle", () => placeLeader(at));
  $("code-panel").addEventListener("toggle", () => placeLeader(at));

  // --- static text: title, size cap, legend --------------------------------------------------------
  $("title").textContent = D.title;
  if (D.cap) $("cap").textContent = D.cap;
  $("legend-line").innerHTML = P.legendLine();
  $("legend").innerHTML = P.legend();

  show(view);
  window.chainruleExplorer = {
    render, show, select, get step() { return at + 1; }, get view() { return view; }, steps: N, textPx,
  };
  document.body.dataset.ready = "1";
})();
