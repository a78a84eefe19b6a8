// DOM helpers. Every piece of data reaches the page as a text node or an attribute value,
// never as HTML: nothing here (or anywhere in the dashboard) assigns innerHTML.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export function byId(id) {
  return document.getElementById(id);
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

export function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function shortClock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function since(startIso, iso) {
  const ms = new Date(iso) - new Date(startIso);
  return ms >= 0 ? `+${ms} ms` : "";
}

export function statusClass(status) {
  const s = String(status || "");
  if (["delivered", "read", "received", "sent"].includes(s)) return "ok";
  if (["failed", "undelivered", "canceled"].includes(s)) return "bad";
  return "pending";
}

export function attemptOutcome(attempt) {
  if (attempt.error_code) return { text: `${attempt.status ?? "—"} · ${attempt.error_code}`, cls: "bad" };
  if (attempt.status === null || attempt.status === undefined) return { text: "—", cls: "pending" };
  // A followed HTTP redirect is a hop, not an error: the next attempt is its continuation.
  if (attempt.status >= 300 && attempt.status < 400) return { text: `${attempt.status} →`, cls: "redirect" };
  return { text: String(attempt.status), cls: attempt.status < 300 ? "ok" : "bad" };
}

export function pill(text, cls) {
  return h("span", { class: `pill ${cls || ""}` }, text);
}

// A two-column table of name/value pairs (headers, parameters).
export function pairs(entries, emptyText = "none") {
  if (!entries.length) return h("p", { class: "muted" }, emptyText);
  return h(
    "table",
    { class: "pairs" },
    h("tbody", {}, entries.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, h("code", {}, v))))),
  );
}

export function stripChannel(address) {
  const text = String(address || "");
  const i = text.indexOf(":");
  return i > 0 && /^[a-z]+$/.test(text.slice(0, i)) ? text.slice(i + 1) : text;
}
