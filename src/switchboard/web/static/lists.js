// The finder: webhook attempts or messages, searched and filtered in the store, paged by cursor
// (infinite scroll, or "Load more"), with bulk replay of attempts.
//
// The view lives in the page's own query string (/?view=attempts&failed=1&q=...): a view can be
// shared and reloads as it was. The same parameters go to /_dashboard/api/{attempts,messages},
// which validates them (web/search.py).
import { getJSON, post } from "./api.js";
import { attemptOutcome, byId, clock, fill, h, pill, statusClass, stripChannel } from "./dom.js";
import { attemptRow } from "./detail.js";
import { notify, on, select, state } from "./state.js";

const VIEWS = ["attempts", "messages"];
const PAGE = 50;
const REFRESH_MS = 300; // live events arrive in bursts: one refresh per burst
// Parameters each view sends to its endpoint (the others stay in the form, ignored).
const PARAMS = {
  attempts: ["q", "number", "service", "kind", "failed", "error_code", "message", "since", "until"],
  messages: ["q", "number", "service", "status", "direction", "channel", "error_code", "since", "until"],
};
const MOMENTS = new Set(["since", "until"]);

const list = {
  view: "attempts",
  items: [], // newest first
  next: null, // the cursor of the page after the loaded ones
  selected: new Set(), // attempt SIDs chosen for bulk replay
  generation: 0, // answers to superseded searches are dropped
  loading: false,
  error: "",
};

const form = () => byId("search");

// datetime-local shows local time; the URL and the API carry ISO 8601 in UTC.
function toIso(local) {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

function toLocal(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// The current view's search, from the form: [[name, value], ...] without empty values.
function searchParams() {
  const data = new FormData(form());
  const found = [];
  for (const name of PARAMS[list.view]) {
    const value = String(data.get(name) || "").trim();
    if (value) found.push([name, MOMENTS.has(name) ? toIso(value) : value]);
  }
  return found;
}

function writeUrl() {
  const params = new URLSearchParams([["view", list.view], ...searchParams()]);
  const url = `${window.location.pathname}?${params}${window.location.hash}`;
  if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
    window.history.replaceState(null, "", url);
  }
}

function readUrl() {
  const params = new URLSearchParams(window.location.search);
  list.view = VIEWS.includes(params.get("view")) ? params.get("view") : "attempts";
  for (const element of form().elements) {
    if (!element.name) continue;
    const value = params.get(element.name) || "";
    if (element.type === "checkbox") element.checked = value !== "" && value !== "0" && value !== "false";
    else element.value = MOMENTS.has(element.name) && value ? toLocal(value) : value;
  }
  const filtered = [...params.keys()].some((k) => !["view", "q", "failed"].includes(k));
  if (filtered) showFilters(true);
}

function showFilters(open) {
  byId("filters").hidden = !open;
  byId("filters-toggle").setAttribute("aria-expanded", String(open));
}

async function fetchPage(cursor) {
  const params = [...searchParams(), ["limit", String(PAGE)]];
  if (cursor) params.push(["cursor", cursor]);
  const data = await getJSON(`/${list.view}`, params);
  return { items: data[list.view], next: data.next };
}

// A new search: the first page replaces the list.
export async function reload() {
  const mine = ++list.generation;
  list.loading = true;
  try {
    const page = await fetchPage(null);
    if (mine !== list.generation) return;
    list.items = page.items;
    list.next = page.next;
    list.error = "";
    const shown = new Set(list.items.map((item) => item.sid));
    for (const sid of list.selected) if (!shown.has(sid)) list.selected.delete(sid);
  } catch (e) {
    if (mine === list.generation) list.error = e.message;
  } finally {
    if (mine === list.generation) list.loading = false;
  }
  render();
}

async function loadMore() {
  if (list.loading || !list.next) return;
  const mine = list.generation;
  list.loading = true;
  try {
    const page = await fetchPage(list.next);
    if (mine !== list.generation) return;
    const known = new Set(list.items.map((item) => item.sid));
    list.items.push(...page.items.filter((item) => !known.has(item.sid)));
    list.next = page.next;
  } catch (e) {
    list.error = e.message;
  } finally {
    if (mine === list.generation) list.loading = false;
  }
  render();
  watchEnd(); // the sentinel may still be in sight: keep filling the panel
}

// Something new was written: fetch the first page again and keep the older pages loaded, as
// long as they still join on (otherwise, after a reset or a flood, start over from the top).
async function refreshHead() {
  const mine = list.generation;
  let page;
  try {
    page = await fetchPage(null);
  } catch {
    return; // the live indicator tells of a lost server
  }
  if (mine !== list.generation || list.loading) return;
  const last = page.items.at(-1);
  const joinAt = last ? list.items.findIndex((item) => item.sid === last.sid) : -1;
  if (page.next && joinAt >= 0) {
    list.items = [...page.items, ...list.items.slice(joinAt + 1)];
  } else {
    list.items = page.items;
    list.next = page.next;
  }
  render();
}

let refreshTimer = null;
function scheduleRefresh(view) {
  if (view !== list.view) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshHead, REFRESH_MS);
}

function messageRow(m) {
  const selected = state.selection && state.selection.sid === m.sid;
  return h(
    "tr",
    { class: selected ? "selected" : "", dataset: { sid: m.sid }, onclick: () => select("message", m.sid) },
    h("td", { class: "nowrap" }, clock(m.date_created)),
    h("td", {}, m.direction),
    h("td", { class: "nowrap" }, stripChannel(m.from) || m.messaging_service_sid || "?", " → ", stripChannel(m.to)),
    h("td", { class: "url-cell", title: m.body }, m.body || (m.num_media ? "[media]" : "")),
    h("td", {}, pill(m.error_code ? `${m.status} · ${m.error_code}` : m.status, statusClass(m.status))),
  );
}

function selectableAttemptRow(a) {
  const box = h("input", {
    type: "checkbox",
    "aria-label": `select ${a.sid}`,
    checked: list.selected.has(a.sid),
    onclick: (event) => event.stopPropagation(),
    onchange: (event) => {
      if (event.target.checked) list.selected.add(a.sid);
      else list.selected.delete(a.sid);
      renderBulk();
    },
  });
  const row = attemptRow(a);
  row.prepend(h("td", { class: "pick" }, box));
  return row;
}

function renderBulk() {
  const n = list.selected.size;
  const button = byId("replay-selected");
  button.disabled = n === 0;
  button.textContent = n ? `Replay selected (${n})` : "Replay selected";
  const shown = byId("select-shown");
  shown.checked = n > 0 && list.items.every((a) => list.selected.has(a.sid));
}

function render() {
  for (const element of document.querySelectorAll("[data-only]")) {
    element.hidden = element.dataset.only !== list.view;
  }
  for (const tab of document.querySelectorAll(".tabs [data-view]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === list.view));
  }
  const filtered = searchParams().length > 0;
  const empty = list.view === "attempts"
    ? filtered ? "No webhook attempts match." : "No webhooks sent yet."
    : filtered ? "No messages match." : "No messages yet.";
  const rows = list.view === "attempts" ? list.items.map(selectableAttemptRow) : list.items.map(messageRow);
  const body = byId(list.view === "attempts" ? "attempts" : "message-rows");
  fill(body, rows.length ? rows : h("tr", { class: "empty" }, h("td", { colspan: 6, class: "muted" }, list.error || empty)));
  fill(byId(list.view === "attempts" ? "message-rows" : "attempts"));
  byId("list-count").textContent = list.items.length ? `${list.items.length}${list.next ? "+" : ""} shown` : "";
  byId("load-more").hidden = !list.next;
  if (list.view === "attempts") renderBulk();
}

let observer = null;
function watchEnd() {
  if (!observer) {
    observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    }, { root: byId("results") });
    observer.observe(byId("more"));
    return;
  }
  // Re-observing reports the sentinel's current visibility again.
  observer.unobserve(byId("more"));
  observer.observe(byId("more"));
}

async function replay(path, body) {
  const notice = byId("bulk-notice");
  fill(notice, "Replaying…");
  for (const id of ["replay-selected", "replay-matching"]) byId(id).disabled = true;
  try {
    const result = await post(path, body);
    const failed = result.attempts.filter((a) => attemptOutcome(a).cls === "bad").length;
    fill(
      notice,
      `Replayed: ${result.attempts.length} new attempt${result.attempts.length === 1 ? "" : "s"}`,
      failed ? h("span", { class: "error" }, `, ${failed} failed`) : "",
      result.more ? " (more matched: replay again for the next 200)" : "",
    );
    list.selected.clear();
    for (const item of result.attempts) state.attempts.set(item.sid, item);
    notify("attempts");
  } catch (e) {
    fill(notice, h("span", { class: "error" }, e.message));
  } finally {
    byId("replay-matching").disabled = false;
    await reload();
  }
}

function changed() {
  writeUrl();
  reload();
}

export function initLists() {
  readUrl();
  for (const tab of document.querySelectorAll(".tabs [data-view]")) {
    tab.addEventListener("click", () => {
      if (tab.dataset.view === list.view) return;
      list.view = tab.dataset.view;
      list.items = [];
      list.next = null;
      changed();
    });
  }
  let typing = null;
  form().addEventListener("input", (event) => {
    // Typing waits for a pause; choosing (selects, checkboxes, dates) searches at once.
    clearTimeout(typing);
    const text = event.target.type === "search" || event.target.tagName === "INPUT" && event.target.type === "text";
    typing = setTimeout(changed, text ? 250 : 0);
  });
  form().addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    changed();
  });
  byId("filters-toggle").addEventListener("click", () => showFilters(byId("filters").hidden));
  byId("filters-reset").addEventListener("click", () => {
    for (const element of byId("filters").querySelectorAll("input, select")) element.value = "";
    changed();
  });
  byId("load-more").addEventListener("click", loadMore);
  byId("select-shown").addEventListener("change", (event) => {
    for (const a of list.items) {
      if (event.target.checked) list.selected.add(a.sid);
      else list.selected.delete(a.sid);
    }
    render();
  });
  byId("replay-selected").addEventListener("click", () => replay("/attempts/replay", JSON.stringify({ sids: [...list.selected] })));
  byId("replay-matching").addEventListener("click", () => {
    const query = new URLSearchParams(searchParams());
    replay(`/attempts/replay${query.size ? `?${query}` : ""}`);
  });
  on("attempts", () => scheduleRefresh("attempts"));
  on("messages", () => scheduleRefresh("messages"));
  on("selection", render);
  render();
  reload().then(watchEnd);
}
