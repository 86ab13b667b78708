/* chainrule explorer: the text of the panels, as HTML built from the page's data.
 *
 * chainrulePanels(D, stepsInto) returns the functions explorer.js calls: the step panel, a node's
 * record, the legend, and the small helpers both files use. Every string taken from D goes through
 * esc() (or num(), which also marks its sign); nothing here computes a number. */
function chainrulePanels(D, stepsInto) {
  "use strict";
  const N = D.steps.length;
  const F = D.forwardSteps;
  const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ENTITIES[c]);
  const signClass = (s) => (s.startsWith("-") ? "neg" : s === "0" ? "" : "pos");
  const num = (s) => `<span class="${signClass(s)}">${esc(s)}</span>`;
  // An unlabelled Value is named like "tanh#12"; in a derivative such a name (or a label with
  // spaces or operators) is bracketed: dE/d(tanh#12).
  const wrap = (name) => (/^[\w.[\]]+$/.test(name) ? name : `(${name})`);
  const dOut = (name) => `d${esc(wrap(D.root.name))}/d${esc(wrap(name))}`;

  // Small HTML builders; every string from D goes through esc() or num().
  const div = (cls, html, id) => `<div class="${cls}"${id ? ` id="${id}"` : ""}>${html}</div>`;
  const td = (html, cls) => `<td${cls ? ` class="${cls}"` : ""}>${html}</td>`;
  const tr = (cells, attrs) => `<tr${attrs || ""}>${cells.join("")}</tr>`;
  const table = (head, rows) => `<table>${tr(head.map((h) => `<th>${h}</th>`))}${rows.join("")}</table>`;
  const dataOf = (inp) => (inp.node >= 0 ? esc(D.nodes[inp.node].data) : "(not drawn)");
  const inputRows = (v, link) => v.inputs.map((inp) =>
    tr([td(esc(inp.name)), td(dataOf(inp), "num"), td(esc(inp.local), "num")],
      link && inp.node >= 0 ? ` class="jump" data-node="${inp.node}"` : ""));
  const localOf = (v) => `d${esc(wrap(v.name))}/d input`;

  // How a Value was computed: "op(input, input) = " ("" for a leaf).
  const formula = (v) => (v.op ? `${esc(v.op)}(${v.inputs.map((inp) => esc(inp.name)).join(", ")}) = ` : "");

  function forwardPanel(i, v) {
    const rows = inputRows(v, false);
    return div("phase-line", `Forward pass: operation ${i + 1} of ${F}, from the inputs on`) +
      div("explain", `${esc(v.name)} = ${formula(v)}${esc(v.data)}`) +
      (rows.length
        ? div("explain", "local derivatives recorded now, read again in the backward pass:") +
          table(["input", "data", localOf(v)], rows)
        : div("explain", `a leaf (${esc(v.kind)}): made by you, not by an operation; nothing to differentiate.`));
  }

  function seedPanel(s, v) {
    return div("phase-line", "Backward pass starts") +
      div("explain", "the output's derivative with respect to itself. From here each step sends one gradient " +
        "back along one edge, in the order the engine does it.");
  }

  function backwardPanel(i, s) {
    const into = stepsInto[s.node];
    const r = s.receiverName;
    const c = s.consumerName;
    const status = s.complete ? `<span class="badge done">&#x2713; complete</span>`
      : `<span class="badge open">sum still open</span>`;
    const head = div("phase-line", `Backward pass: chain-rule step ${i - F} of ${N - F - 1} &middot; ` +
      `edge ${esc(r)} &rarr; ${esc(c)}`);
    // Why the upstream number can be used now: every step into the consumer came before this one
    // (the engine sweeps in reverse topological order). Checked on the steps, not assumed.
    const intoConsumer = stepsInto[s.consumer];
    const final = s.consumer === D.root.node ? "it is the output"
      : intoConsumer.length && intoConsumer[intoConsumer.length - 1] < i
        ? `all ${intoConsumer.length} of its own contributions came in before this step` : "";
    const why = div("explain", `<span class="loc">local</span> d${esc(wrap(c))}/d${esc(wrap(r))} ` +
      `(recorded in the forward pass) &times; <span class="up">upstream</span> ${dOut(c)} = ` +
      `<span class="con">contribution</span>` + (final ? `; the upstream is final: ${final}` : ""));
    const sum = div("sum", `${dOut(r)} = <span class="before">${esc(s.before)}</span> + ${esc(s.contribution)} = ` +
        `<span class="total">${num(s.total)}</span> ${status}`, "sum");
    // The receiver's whole chain-rule sum, one term per consumer edge worth a step: done terms
    // with their numbers, this one marked, the rest still symbolic (their local derivatives are known).
    const terms = into.map((j) => {
      const t = D.steps[j];
      const up = j <= i ? esc(t.upstream) : dOut(t.consumerName);
      return `<span class="term${j === i ? " now" : j < i ? " done" : ""}">${esc(t.local)}&times;${up}</span>`;
    });
    const whole = div("whole", `${dOut(r)} = ${terms.join(" + ")}`);
    const termOf = div("explain", `the chain rule for ${esc(r)}: one term per edge to a consumer that sends it ` +
      `something; this is term ${into.indexOf(i) + 1} of ${into.length}`);
    // The numbers first (the running sum, the whole chain rule), the words after: on a short screen
    // only the words may need scrolling.
    return head + sum + whole + termOf + why;
  }

  // The docked equation: what this step computes, its terms coloured like the picture (local on
  // the edge, upstream on the consumer, contribution on the receiver).
  function callout(i) {
    const s = D.steps[i];
    const v = D.nodes[s.node];
    if (s.kind === "forward") {
      return div("eq", `<b>${esc(v.name)}</b> = ${formula(v)}<span class="con">${esc(v.data)}</span>`, "eq");
    }
    if (s.kind === "seed") return div("eq", `${dOut(v.name)} = <span class="con">${esc(s.total)}</span>`, "eq");
    if (s.kind === "hook") {
      return div("eq", `hook on ${esc(v.name)}: ${esc(s.before)} &rarr; <span class="con">${esc(s.total)}</span>`, "eq");
    }
    return div("eq", `${dOut(s.receiverName)} += <span class="loc">${esc(s.local)}</span> &times; ` +
      `<span class="up">${esc(s.upstream)}</span> = <span class="con">${esc(s.contribution)}</span>`, "eq");
  }

  function hookPanel(s) {
    return div("phase-line", `Backward pass: the hooks of ${esc(s.receiverName)} run`) +
      div("sum", `${dOut(s.receiverName)}: ${num(s.before)} &rarr; ${num(s.total)}`, "sum") +
      div("explain", "its gradient is complete, and a hook registered on it (register_hook) returned " +
        "another number: from here on the sweep sends that one back.");
  }

  function stepPanel(i) {
    const s = D.steps[i];
    return s.kind === "forward" ? forwardPanel(i, D.nodes[s.node])
      : s.kind === "seed" ? seedPanel(s, D.nodes[s.node])
        : s.kind === "hook" ? hookPanel(s) : backwardPanel(i, s);
  }

  function recordPanel(k, at) {
    if (k < 0) {
      return div("explain", "Click a value (or Tab to it and press Enter) to see its whole record: data, gradient, " +
        "inputs with their local derivatives, and the contributions that summed to its gradient.");
    }
    const v = D.nodes[k];
    const contributions = stepsInto[k].map((j) => {
      const s = D.steps[j];
      return tr([td(String(j + 1), "num"), td(esc(s.consumerName)),
        td(`${esc(s.local)} &times; ${esc(s.upstream)} = ${num(s.contribution)}`, "num"), td(num(s.total), "num")],
      ` class="jump${j === at ? " now" : ""}" data-step="${j}"`);
    });
    // The running sum at the current step: the latest step into this node, if any yet.
    const into = stepsInto[k].filter((j) => j <= at);
    const now = at < F ? "not yet: the backward pass has not started"
      : k === D.root.node ? num(D.steps[F].total)
        : into.length ? num(D.steps[into[into.length - 1]].total) : "0 (nothing received yet)";
    const code = v.gradientLines.length ? `; its gradient: line ${v.gradientLines.join(", ")} of the code` : "";
    const inputs = inputRows(v, true);
    return div("", `<span class="name">${esc(v.name)}</span> <span class="kind">${esc(v.op || "leaf")} ` +
        `&middot; ${esc(v.kind)} &middot; node ${v.index}</span>`) +
      (v.note ? div("note", v.note.split(" · ").map(esc).join("<br>")) : "") +
      `<table>${tr([`<th>data</th>`, td(esc(v.data), "num")])}` +
      tr([`<th>grad</th>`, `<td class="num" id="record-grad">${num(v.grad)}</td>`,
        td(`${dOut(v.name)}, final${esc(code)}`, "explain")]) +
      tr([`<th>now</th>`, td(now, "num"), td(`at step ${at + 1}`, "explain")]) + "</table>" +
      (inputs.length ? table(["input", "data", `local ${localOf(v)}`], inputs) : "") +
      (k === D.root.node ? div("explain", "the output: its gradient is 1 by definition.")
        : contributions.length
          ? table(["step", "from", "local &times; upstream = contribution", "running sum"], contributions)
          : div("explain", "no backward step reaches it."));
  }

  // The legend: one line always shown, the rest on demand. Every mark the pictures draw is here.
  function legendLine() {
    // the palette's faint and deep ends of each sign (CSS variables from autograd.colors)
    const ramp = (sign) =>
      `<span class="ramp" style="background:linear-gradient(90deg,var(--${sign}-faint),var(--${sign}))"></span>`;
    return `gradient &lt; 0 ${ramp("neg")} &gt; 0 ${ramp("pos")} ` +
      "(edges and fills) &middot; boxes: name, data, gradient &middot; keys: &#x2190; &#x2192; step, " +
      "Shift a node, PgUp PgDn a layer, v view, space play &middot; more&hellip;";
  }

  function legend() {
    const L = D.legend;
    const skipped = D.skipped.zero + D.skipped.constant;
    return [
      "edges: the contribution sent back along them (colour: its sign; depth and width: its size); " +
        "a network view's edge: its weight's gradient so far; grey: nothing sent yet",
      "box fill: the running sum of the gradient (white: nothing received yet); before the backward " +
        "pass: <span class=\"sw\" style=\"background:var(--fill-input)\"></span>input <span class=\"sw\" " +
        "style=\"background:var(--fill-parameter)\"></span>parameter <span class=\"sw\" style=\"background:var(--fill-output)\">" +
        "</span>output",
      `<span class="sw" style="border:2px solid var(--done)"></span>gradient complete &middot; ` +
        `<span class="sw" style="border:3px solid var(--contribution)"></span>receives this step's contribution &middot; ` +
        `<span class="sw" style="border:3px dashed var(--upstream)"></span>sends it (its upstream gradient)`,
      (D.nodes.some((n) => n.note) ? `<span class="sw" style="background:var(--selected);border-radius:50%"></span>` +
        "a note on this value (the tutorial printed a number for it: its record says what and whether it " +
        "is right)" : "") ,
      `constants are written into the names of the Values that use them (no box, no step)` +
        (skipped ? `; ${D.skipped.zero} zero steps and ${D.skipped.constant} steps into constants of the ` +
          `engine's ${D.sweepSteps} are skipped` : ""),
      esc(L.note),
      "keys: &#x2190; &#x2192; one step &middot; Shift+&#x2190; &#x2192; a node at a time &middot; PgUp PgDn " +
        "(or [ ]) a layer at a time &middot; Home End &middot; space plays &middot; v switches view &middot; " +
        "+ &minus; 0 zoom &middot; Tab to a value, Enter for its record",
    ].map((html) => `<span>${html}</span>`).join("");
  }

  return { esc, num, wrap, dOut, stepPanel, recordPanel, callout, legend, legendLine };
}
