// Small charts of recent traffic, drawn as inline SVG: messages per minute by status, and over
// the newest 1,000 messages and attempts the delivery rate, the error codes seen and webhook
// latency percentiles. The server counts
// (GET /stats); the page asks again when the live stream brings new messages or attempts.
import { getJSON } from "./api.js";
import { byId, fill, h, statusClass } from "./dom.js";
import { on } from "./state.js";

const SVG = "http://www.w3.org/2000/svg";
const REFRESH_MS = 1000; // at most one request a second, however busy the stream
const IDLE_MS = 15000; // and now and then anyway: the per-minute window moves on

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

function title(text) {
  const t = document.createElementNS(SVG, "title");
  t.textContent = text;
  return t;
}

function tile(name, testid, ...body) {
  return h("figure", { class: "chart", "data-testid": testid }, h("figcaption", {}, name), ...body);
}

const CLASSES = ["ok", "pending", "bad"];

function perMinute(series) {
  const width = 150;
  const height = 56;
  const slot = width / Math.max(series.length, 1);
  const max = Math.max(1, ...series.map((m) => Object.values(m.counts).reduce((a, b) => a + b, 0)));
  const total = series.reduce((sum, m) => sum + Object.values(m.counts).reduce((a, b) => a + b, 0), 0);
  const bars = series.map((m, i) => {
    // Stack the statuses by class: delivered-like at the bottom, failures on top.
    const byClass = { ok: 0, pending: 0, bad: 0 };
    for (const [status, n] of Object.entries(m.counts)) byClass[statusClass(status)] += n;
    let y = height;
    const label = `${new Date(m.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${Object.entries(m.counts).map(([k, v]) => `${v} ${k}`).join(", ") || "none"}`;
    return s(
      "g",
      {},
      title(label),
      CLASSES.map((cls) => {
        const hgt = (byClass[cls] / max) * (height - 2);
        if (!hgt) return null;
        y -= hgt;
        return s("rect", { class: `bar ${cls}`, x: (i * slot + 0.5).toFixed(1), y: y.toFixed(1), width: Math.max(slot - 1, 1).toFixed(1), height: hgt.toFixed(1) });
      }),
      // A transparent column so the whole minute shows its tooltip.
      s("rect", { class: "hit", x: (i * slot).toFixed(1), y: 0, width: slot.toFixed(1), height }),
    );
  });
  return tile(
    "Messages / minute",
    "chart-per-minute",
    s("svg", { viewBox: `0 0 ${width} ${height}`, class: "spark", role: "img", "aria-label": `${total} messages in the last ${series.length} minutes` }, s("line", { class: "axis", x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5 }), bars),
    h("div", { class: "chart-note" }, `${total} in ${series.length} min · peak ${max === 1 && !total ? 0 : max}/min`),
  );
}

function delivery(d) {
  const finished = d.reached + d.not_reached;
  const share = finished ? d.reached / finished : 0;
  const width = 150;
  return tile(
    "Delivery rate",
    "chart-delivery",
    h("div", { class: "big" }, d.rate === null ? "—" : `${(d.rate * 100).toFixed(d.rate === 1 ? 0 : 1)}%`),
    s(
      "svg",
      { viewBox: `0 0 ${width} 10`, class: "meter", role: "img", "aria-label": `${d.reached} delivered, ${d.not_reached} not` },
      s("rect", { class: "bar track", x: 0, y: 0, width, height: 10, rx: 3 }),
      finished ? s("rect", { class: "bar bad", x: 0, y: 0, width, height: 10, rx: 3 }) : null,
      finished ? s("rect", { class: "bar ok", x: 0, y: 0, width: (share * width).toFixed(1), height: 10, rx: 3 }) : null,
    ),
    h("div", { class: "chart-note" }, finished ? `${d.reached} of ${finished} outbound delivered` : "no outbound message has finished"),
  );
}

function errorCodes(codes) {
  if (!codes.length) return tile("Error codes", "chart-errors", h("div", { class: "chart-note" }, "none recorded"));
  const top = codes.slice(0, 4);
  const max = Math.max(...top.map((c) => c.count));
  const width = 150;
  const row = 13;
  return tile(
    "Error codes",
    "chart-errors",
    s(
      "svg",
      { viewBox: `0 0 ${width} ${top.length * row}`, class: "bars", role: "img", "aria-label": top.map((c) => `${c.code}: ${c.count}`).join(", ") },
      top.map((c, i) => {
        const w = Math.max(2, (c.count / max) * (width - 70));
        return s(
          "g",
          {},
          title(`${c.code} (${c.source === "webhook" ? "webhook attempt" : "message"}): ${c.count}`),
          s("text", { class: "label", x: 0, y: i * row + 10 }, `${c.code}`),
          s("rect", { class: `bar ${c.source === "webhook" ? "pending" : "bad"}`, x: 40, y: i * row + 2, width: w.toFixed(1), height: row - 4, rx: 2 }),
          s("text", { class: "label", x: 44 + w, y: i * row + 10 }, `${c.count}`),
        );
      }),
    ),
    h("div", { class: "chart-note" }, "red: messages · amber: webhooks"),
  );
}

function latency(l) {
  if (!l.count) return tile("Webhook latency", "chart-latency", h("div", { class: "chart-note" }, "no webhook sent yet"));
  const marks = [
    ["p50", l.p50],
    ["p90", l.p90],
    ["p99", l.p99],
    ["max", l.max],
  ];
  const max = Math.max(1, ...marks.map(([, v]) => v));
  const width = 150;
  const row = 13;
  return tile(
    "Webhook latency",
    "chart-latency",
    s(
      "svg",
      { viewBox: `0 0 ${width} ${marks.length * row}`, class: "bars", role: "img", "aria-label": marks.map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(", ") },
      marks.map(([k, v], i) => {
        const w = Math.max(2, (v / max) * (width - 80));
        return s(
          "g",
          {},
          s("text", { class: "label", x: 0, y: i * row + 10 }, k),
          s("rect", { class: "bar accent", x: 30, y: i * row + 2, width: w.toFixed(1), height: row - 4, rx: 2 }),
          s("text", { class: "label", x: 34 + w, y: i * row + 10 }, `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`),
        );
      }),
    ),
    h("div", { class: "chart-note" }, `${l.count} attempt${l.count === 1 ? "" : "s"}`),
  );
}

let timer = null;
let last = 0;
let updates = 0;

async function refresh() {
  timer = null;
  last = Date.now();
  const box = byId("charts");
  let data;
  try {
    data = await getJSON("/stats");
  } catch (e) {
    box.dataset.state = "error";
    box.title = e.message;
    return;
  }
  fill(box, perMinute(data.per_minute), delivery(data.delivery), errorCodes(data.error_codes), latency(data.latency));
  box.dataset.state = "ready";
  box.dataset.updates = String(++updates); // scripts can wait for the next drawing
}

function schedule() {
  if (timer !== null) return;
  timer = setTimeout(refresh, Math.max(0, REFRESH_MS - (Date.now() - last)));
}

export function initCharts() {
  on("messages", schedule);
  on("attempts", schedule);
  setInterval(schedule, IDLE_MS);
  schedule();
}
