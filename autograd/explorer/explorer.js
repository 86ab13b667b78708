/* chainrule explorer: draws step i of the record embedded in the page, and nothing else.
 *
 * All state is the data object D (nodes, steps, legend, code) written by autograd/explorer/record.py
 * and one index, `at`. render(i) derives what step i looks like from D alone and writes it to the
 * SVG and the panels (whose text panels.js writes). Every number shown is a string from D: this
 * script computes no numbers. */
(function () {
  "use strict";

  const D = JSON.parse(document.getElementById("explorer-data").textContent);
  const N = D.steps.length;
  const F = D.forwardSteps; // steps [0, F) are the forward pass, F is the seed, (F, N) the backward pass
  const $ = (id) => document.getElementById(id);
  // --- the picture: find each Value's box, op ellipse and edges by their Graphviz titles ---------
  const svg = document.querySelector("#graph svg");
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.querySelectorAll("g.graph > text").forEach((t) => t.remove()); // the picture's static legend
  const byTitle = new Map();
  svg.querySelectorAll("g.node, g.edge").forEach((g) => {
    const t = g.querySelector("title");
    if (!t) return;
    const key = t.textContent;
    if (!byTitle.has(key)) byTitle.set(key, []);
    byTitle.get(key).push(g);
  });
  const one = (key) => (byTitle.get(key) || [null])[0];
  // A box's data and grad fields are its last texts starting "data " and "grad " (a label, drawn
  // first, may start so too).
  const field = (g, prefix) => {
    const fields = g ? [...g.querySelectorAll("text")].filter((t) => t.textContent.startsWith(prefix)) : [];
    return fields.length ? fields[fields.length - 1] : null;
  };
  // A zero was drawn padded with "_" to reserve room in its box (page.py): the edge labels lose it.
  svg.querySelectorAll("g.edge > text").forEach((t) => {
    if (t.textContent.includes("_")) t.textContent = t.textContent.replace(/^_+|_+$/g, "");
  });

  const V = D.nodes.map((n, k) => {
    const box = one(n.title);
    const v = { k, n, box, op: n.op ? one(n.op) : null, gradText: field(box, "grad "), result: null, inEdges: [] };
    const dataText = field(box, "data ");
    if (dataText) dataText.textContent = `data ${n.dataBox}`;
    if (v.op) v.result = one(`${n.op}->${n.title}`);
    if (box) {
      const shape = box.querySelector("polygon, ellipse");
      v.fill0 = shape ? shape.getAttribute("fill") : null;
      v.shape = shape;
      v.room = shape ? shape.getBBox().width - 6 : Infinity; // the widest text the box holds
      box.querySelector("title").textContent = `${n.name} (click for its record)`;
      box.setAttribute("data-node", String(k));
      box.addEventListener("click", () => select(k));
    }
    if (v.op) v.op.addEventListener("click", () => select(k));
    return v;
  });
  // Input edge number e of node k: the edge titled "v{j}->o{k}"; an op using one input twice has two.
  V.forEach((v) => {
    const seen = new Map();
    v.n.inputs.forEach((inp) => {
      if (inp.node < 0 || !v.n.op) { v.inEdges.push(null); return; }
      const key = `${D.nodes[inp.node].title}->${v.n.op}`;
      const nth = seen.get(key) || 0;
      seen.set(key, nth + 1);
      const g = (byTitle.get(key) || [])[nth] || null;
      if (g) {
        g.querySelector("title").textContent = `${inp.name} → ${v.n.name}: local derivative ${inp.local}`;
        g.setAttribute("data-edge", `${v.k}:${v.inEdges.length}`); // node k's input edge number e
      }
      v.inEdges.push(g);
    });
  });
  const stepsInto = V.map(() => []); // backward step indices per receiver, in order
  D.steps.forEach((s, i) => { if (s.kind === "backward") stepsInto[s.node].push(i); });
  const { esc, dOut, stepPanel, recordPanel, legend } = chainrulePanels(D, stepsInto); // panels.js

  // --- what step i looks like, derived from D alone ------------------------------------------------
  function stateAt(i) {
    const seen = i < F ? i : F - 1; // forward: nodes 0..seen have appeared
    const last = V.map(() => -1); // each node's latest backward (or seed) step at or before i
    const edge = new Map(); // "k:e" -> the step that sent along input edge e of node k
    for (let j = F; j <= i && j < N; j++) {
      const s = D.steps[j];
      last[s.node] = j;
      if (s.kind === "backward" && s.consumer >= 0) edge.set(`${s.consumer}:${s.input}`, s);
    }
    return { i, seen, last, edge, backward: i >= F };
  }

  // Cache what was last written to each element, so a step touches only what changed.
  const written = new WeakMap();
  function put(el, key, apply) {
    if (!el || written.get(el) === key) return;
    written.set(el, key);
    apply(el);
  }
  const STATES = ["unseen", "fresh", "partial", "complete", "receiver", "consumer", "current", "unsent", "selected"];
  function classes(el, list) {
    put(el, "c:" + list.join(" "), () => {
      for (const c of STATES) el.classList.toggle(c, list.includes(c));
    });
  }
  function strokeEdge(g, color, width, dashed) {
    if (!g) return;
    put(g.querySelector("path"), `${color}|${width}`, (p) => {
      p.style.stroke = color || "";
      p.style.strokeWidth = width ? `${width}px` : "";
    });
    g.querySelectorAll("polygon").forEach((p) => put(p, color || "", (q) => {
      q.style.fill = color || "";
      q.style.stroke = color || "";
    }));
    g.classList.toggle("unsent", !!dashed);
  }

  let selected = -1;
  function draw(st) {
    const cur = D.steps[st.i];
    const rewritten = []; // boxes whose grad text changed: measured once all are written
    V.forEach((v) => {
      const k = v.k;
      const visible = k <= st.seen || st.backward;
      const j = st.last[k];
      const s = j >= 0 ? D.steps[j] : null;
      const list = [];
      if (!visible) list.push("unseen");
      if (cur.kind === "forward" && cur.node === k) list.push("fresh");
      if (st.backward && s) list.push(s.kind === "seed" || s.complete ? "complete" : "partial");
      if (cur.kind !== "forward" && cur.node === k) list.push("receiver");
      if (cur.kind === "backward" && cur.consumer === k) list.push("consumer");
      if (k === selected) list.push("selected");
      classes(v.box, list);
      classes(v.op, visible ? [] : ["unseen"]);
      classes(v.result, visible ? [] : ["unseen"]);
      // Before the backward pass a box keeps the picture's fill (its kind); then white until it
      // receives a gradient, then the colour of its running sum.
      const fill = st.backward ? (s ? s.fill : "#ffffff") : v.fill0;
      put(v.shape, fill, (p) => p.setAttribute("fill", fill));
      const text = !st.backward ? "grad ·" : s ? `grad ${s.totalBox}` : "grad 0";
      put(v.gradText, text, (t) => {
        t.textContent = text;
        t.classList.toggle("pending", !s);
        t.removeAttribute("textLength");
        rewritten.push(v);
      });
      // The op's result edge carries this node's gradient; its input edges what it sent back.
      strokeEdge(v.result, st.backward && s ? s.totalColor : "", st.backward && s ? s.totalWidth : 0, false);
      v.inEdges.forEach((g, e) => {
        if (!g) return;
        const sent = st.edge.get(`${k}:${e}`);
        const now = cur.kind === "backward" && cur.consumer === k && cur.input === e;
        classes(g, visible ? (now ? ["current"] : []) : ["unseen"]);
        if (!sent) strokeEdge(g, "", 0, false);
        else if (sent.sent) strokeEdge(g, sent.edgeColor, sent.edgeWidth, false);
        else strokeEdge(g, D.legend.zero, 0, true); // the engine sent nothing: dashed grey
      });
    });
    if (cur.kind === "backward" && cur.consumer >= 0) classes(V[cur.consumer].result, ["current"]);
    // A running sum wider than its box (rare: a box keeps room for 7 characters) is narrowed to
    // fit. All lengths are read first, then written, so the layout is computed once.
    const wide = rewritten.filter((v) => v.gradText.getComputedTextLength() > v.room);
    wide.forEach((v) => {
      v.gradText.setAttribute("textLength", String(v.room));
      v.gradText.setAttribute("lengthAdjust", "spacingAndGlyphs");
    });
  }

  // --- the code pane ---------------------------------------------------------------------------------
  const codeBox = $("code");
  const plain = (n) => `<i>${n}</i>${esc(D.code.lines[n - 1])}`;
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
    codeBox.innerHTML = `<div class="code-note">${esc(D.codeNote || "no code for this graph")}</div>`;
  }
  let lit = [];
  let marked = null; // the line whose term is marked, to write back plain
  function showCode(i) {
    if (!D.code) return;
    lit.forEach((el) => el.classList.remove("hl", "hl2"));
    lit = [];
    if (marked) { codeLines[marked - 1].innerHTML = plain(marked); marked = null; }
    const s = D.steps[i];
    const v = D.nodes[s.node];
    const lines = s.kind === "forward" ? v.forwardLines : v.gradientLines;
    const where = $("code-where");
    if (!lines.length) {
      where.textContent = s.kind === "forward" ? `${v.name}: a constant, written into the code`
        : `${v.name}: no line (a constant: the code asks no gradient of it)`;
    } else {
      const what = s.kind === "forward" ? "computes" : "the gradient of";
      where.textContent = `line ${lines.join(", ")}: ${what} ${v.name}`;
    }
    lines.forEach((n) => { const el = codeLines[n - 1]; if (el) { el.classList.add("hl"); lit.push(el); } });
    if (s.kind === "backward" && s.term) {
      // This step's own term of the sum: upstream (d_consumer) times the local derivative.
      const [n, b, e] = s.term;
      const text = D.code.lines[n - 1];
      const parts = [text.slice(0, b), text.slice(b, e), text.slice(e)].map(esc);
      codeLines[n - 1].innerHTML = `<i>${n}</i>${parts[0]}<mark>${parts[1]}</mark>${parts[2]}`;
      marked = n;
    }
    if (s.kind === "backward" && s.consumer >= 0) {
      for (const n of D.nodes[s.consumer].gradientLines) { // where the upstream gradient was computed
        const el = codeLines[n - 1];
        if (el) { el.classList.add("hl2"); lit.push(el); }
      }
    }
    if (lit.length) {
      const el = lit[0];
      const top = el.offsetTop - codeBox.offsetTop;
      if (top < codeBox.scrollTop || top > codeBox.scrollTop + codeBox.clientHeight - 20) {
        codeBox.scrollTop = Math.max(0, top - codeBox.clientHeight / 3);
      }
    }
  }

  // --- keep the current step in view when the graph is larger than the window ------------------
  const graphBox = $("graph");
  // Bring a step's elements into view: as many of them (in order of importance) as fit, centred.
  function reveal(els) {
    const rects = els.filter(Boolean).map((el) => el.getBoundingClientRect());
    if (!rects.length) return;
    const box = graphBox.getBoundingClientRect();
    const union = (rs) => ({
      top: Math.min(...rs.map((q) => q.top)), bottom: Math.max(...rs.map((q) => q.bottom)),
      left: Math.min(...rs.map((q) => q.left)), right: Math.max(...rs.map((q) => q.right)),
    });
    let r = union(rects.slice(0, 1));
    for (let n = rects.length; n > 1; n--) {
      const u = union(rects.slice(0, n));
      if (u.bottom - u.top <= box.height && u.right - u.left <= box.width) { r = u; break; }
    }
    const mid = (a, b) => (a + b) / 2;
    if (r.bottom > box.bottom || r.top < box.top) {
      graphBox.scrollTop += mid(r.top, r.bottom) - mid(box.top, box.bottom);
    }
    if (r.right > box.right || r.left < box.left) {
      graphBox.scrollLeft += mid(r.left, r.right) - mid(box.left, box.right);
    }
  }
  // What step i is about: the Value appearing, or the receiver, its consumer and the edge between.
  function focusOf(i) {
    const s = D.steps[i];
    const v = V[s.node];
    if (s.kind !== "backward" || s.consumer < 0) return [v.box];
    const c = V[s.consumer];
    return [v.box, c.box, c.op, c.inEdges[s.input]]; // the receiver first: its callout is there
  }

  // --- the callout: this step's numbers written on the picture, at a readable size at any zoom ----
  const NS = "http://www.w3.org/2000/svg";
  const callout = document.createElementNS(NS, "g");
  callout.setAttribute("id", "callout");
  const calloutBox = callout.appendChild(document.createElementNS(NS, "rect"));
  const calloutText = callout.appendChild(document.createElementNS(NS, "text"));
  svg.querySelector("g.graph").appendChild(callout);
  function anchorOf(el) { // the top middle of a box, in the picture's coordinates
    if (!el) return null;
    const b = el.getBBox();
    return { x: b.x + b.width / 2, y: b.y };
  }
  function placeCallout(i) {
    const s = D.steps[i];
    const v = V[s.node];
    // Above the box being computed (forward) or receiving (backward): "+= upstream × local = ...".
    const text = s.kind === "forward" ? `${v.n.name} = ${v.n.data}`
      : s.kind === "seed" ? `${dOut(v.n.name).replace(/&[a-z]+;/g, "")} = ${s.total}`
        : `+= ${s.upstream} × ${s.local} = ${s.contribution}`;
    const at = anchorOf(v.box);
    if (!at) { callout.style.display = "none"; return; }
    callout.style.display = "";
    callout.removeAttribute("transform"); // measured where it would be, then moved in if it sticks out
    const scale = svg.getScreenCTM() ? svg.getScreenCTM().a : 1;
    const size = 12.5 / (scale || 1); // 12.5 CSS px whatever the zoom
    calloutText.textContent = text;
    calloutText.setAttribute("font-size", String(size));
    calloutText.setAttribute("x", String(at.x));
    calloutText.setAttribute("y", String(at.y - size * 0.6)); // just above, clear of the label
    const b = calloutText.getBBox();
    const pad = size * 0.3;
    calloutBox.setAttribute("x", String(b.x - pad));
    calloutBox.setAttribute("y", String(b.y - pad));
    calloutBox.setAttribute("width", String(b.width + 2 * pad));
    calloutBox.setAttribute("height", String(b.height + 2 * pad));
    calloutBox.setAttribute("rx", String(pad));
    // Keep it inside the picture: a box at an edge of the graph would push half of it out.
    const r = calloutBox.getBoundingClientRect();
    const edge = svg.getBoundingClientRect();
    const dx = r.left < edge.left ? edge.left - r.left : r.right > edge.right ? edge.right - r.right : 0;
    const dy = r.top < edge.top ? edge.top - r.top : 0;
    if (dx || dy) callout.setAttribute("transform", `translate(${dx / (scale || 1)} ${dy / (scale || 1)})`);
  }

  // --- the one index, and render(i) --------------------------------------------------------------
  let at = 0;
  function render(i) {
    at = Math.max(0, Math.min(N - 1, i));
    const s = D.steps[at];
    draw(stateAt(at));
    $("counter").textContent = `step ${at + 1} of ${N}`;
    $("slider").value = String(at + 1);
    const phase = $("phase");
    phase.textContent = s.kind === "forward" ? "forward pass" : "backward pass";
    phase.className = `pill ${s.kind === "forward" ? "forward" : "backward"}`;
    $("step").innerHTML = stepPanel(at);
    $("record").innerHTML = recordPanel(selected, at);
    showCode(at);
    reveal(focusOf(at));
    placeCallout(at);
    document.body.dataset.step = String(at + 1);
  }
  function select(k) {
    selected = k === selected ? -1 : k;
    render(at);
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
    $("play").classList.toggle("playing", !!timer);
  }
  $("home").onclick = () => render(0);
  $("prev").onclick = () => render(at - 1);
  $("next").onclick = () => render(at + 1);
  $("end").onclick = () => render(N - 1);
  $("play").onclick = () => play(!timer);
  $("speed").onchange = () => { if (timer) play(true); };
  $("slider").max = String(N);
  // A tick where the backward pass starts (the seed step).
  const marks = document.body.appendChild(document.createElement("datalist"));
  marks.id = "phases";
  marks.innerHTML = `<option value="${F + 1}" label="backward"></option>`;
  $("slider").setAttribute("list", "phases");
  $("slider").title = `steps 1-${F}: forward pass; ${F + 1}: the seed; ${F + 2}-${N}: backward pass`;
  $("slider").oninput = (e) => render(Number(e.target.value) - 1);
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLSelectElement || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target === $("slider") && e.key.startsWith("Arrow")) return; // the slider steps itself
    const go = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: N - 1 }[e.key];
    if (go !== undefined) {
      e.preventDefault();
      render(go);
    } else if (e.key === " ") {
      e.preventDefault();
      play(!timer);
    }
  });
  for (const panel of [$("record"), $("step")]) {
    panel.addEventListener("click", (e) => {
      const row = e.target.closest("tr.jump");
      if (!row) return;
      if (row.dataset.step) render(Number(row.dataset.step));
      else if (row.dataset.node) select(Number(row.dataset.node));
    });
  }
  // The graph fits the window's width (never enlarged past its natural size), unless that shrinks
  // its text below ~3 px (a long chain, a capped large graph): then it opens at a readable size
  // and the view follows the current step. Zoom is relative to that fitted width.
  const viewBox = svg.viewBox.baseVal;
  const natural = viewBox && viewBox.width ? (viewBox.width * 4) / 3 : 800; // Graphviz's pt -> CSS px
  let zoom = 1;
  const fitPx = () => Math.min(graphBox.clientWidth, natural);
  function setZoom(z) {
    zoom = Math.max(0.1, Math.min(64, z));
    // Fitted, CSS keeps it fitted through resizes (and an output that is hidden while it loads).
    svg.style.maxWidth = zoom === 1 ? `${natural}px` : "none";
    svg.style.width = zoom === 1 ? "100%" : `${zoom * fitPx()}px`;
    reveal(focusOf(at));
    placeCallout(at);
  }
  function fittedTextPx() {
    const t = svg.querySelector("g.node text");
    return t ? (parseFloat(t.getAttribute("font-size")) || 11) * fitPx() / (natural * 3 / 4) : 12;
  }
  window.addEventListener("resize", () => setZoom(zoom));
  // Find a Value by (part of) its name: select it and bring it into view.
  $("find").addEventListener("keydown", (e) => {
    e.stopPropagation(); // typing is not stepping
    if (e.key !== "Enter") return;
    const q = e.target.value.trim();
    const hits = q ? D.nodes.map((n, k) => [n.name, k]).filter(([name]) => name.includes(q)) : [];
    const exact = hits.find(([name]) => name === q);
    const k = exact ? exact[1] : hits.length ? hits[0][1] : -1;
    e.target.classList.toggle("miss", !!q && k < 0);
    if (k >= 0) { selected = -1; select(k); reveal([V[k].box]); }
  });
  $("zoom-in").onclick = () => setZoom(zoom * 1.25);
  $("zoom-out").onclick = () => setZoom(zoom / 1.25);
  $("zoom-fit").onclick = () => setZoom(1);

  // --- static text: title, size cap, legend --------------------------------------------------------
  $("title").textContent = D.title;
  if (D.cap) $("cap").textContent = D.cap;
  // The kinds' fills are read from the picture itself, so the legend shows what is drawn.
  const kindFill = {};
  V.forEach((v) => { if (v.fill0 && !(v.n.kind in kindFill)) kindFill[v.n.kind] = v.fill0; });
  $("legend").innerHTML = legend(kindFill);

  render(0);
  const px = fittedTextPx();
  setZoom(px > 0 && px < 3 ? 10 / px : 1); // px is 0 while the page is hidden: fit then
  window.chainruleExplorer = { render, get step() { return at + 1; }, steps: N, fittedTextPx };
  document.body.dataset.ready = "1";
})();
