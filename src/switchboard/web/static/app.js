// The dashboard: wires the live event stream to the state and renders the sidebar.
import { getJSON } from "./api.js";
import { byId, fill, h, shortClock, stripChannel } from "./dom.js";
import { initDetail, refreshDetail } from "./detail.js";
import { initLists, reload as reloadList } from "./lists.js";
import { collapseLoad } from "./loadgroup.js";
import { initPhone } from "./phone.js";
import { initReset } from "./reset.js";
import { notify, on, state, threads } from "./state.js";

function renderAccount() {
  const o = state.overview;
  if (!o) return;
  byId("account-sid").textContent = o.account.sid;
  byId("auth-token").textContent = o.account.auth_token;
  byId("version").textContent = o.version ? `v${o.version}` : "";
}

function renderNumbers() {
  const o = state.overview;
  if (!o) return;
  const services = new Map(o.services.map((s) => [s.sid, s]));
  const items = o.numbers.map((n) => {
    const service = n.service_sid ? services.get(n.service_sid) : null;
    const target = n.webhook; // where its inbound messages go, decided by the server
    return h(
      "li",
      { class: "number" },
      h("div", { class: "row" }, h("strong", {}, n.phone_number), service ? h("span", { class: "tag" }, service.friendly_name) : null),
      h("div", { class: "url", title: target ? target.url : "" }, target ? `${target.method} ${target.url}` : "no webhook URL"),
    );
  });
  fill(byId("numbers"), items.length ? items : h("li", { class: "muted" }, "No numbers yet. Create one with the REST API or the SDK."));
  const svc = o.services.map((s) =>
    h(
      "li",
      {},
      h("div", { class: "row" }, h("strong", {}, s.friendly_name), h("code", { class: "muted" }, s.sid)),
      h("div", { class: "url" }, s.inbound_request_url ? `inbound: ${s.inbound_request_url}` : "no inbound URL"),
      h("div", { class: "muted small" }, s.numbers.length ? s.numbers.join(", ") : "no numbers in its pool"),
    ),
  );
  fill(byId("services"), svc.length ? svc : h("li", { class: "muted" }, "None"));
}

function threadItem(t) {
  const last = t.messages.at(-1);
  return h(
    "li",
    {
      class: `thread ${t.key === state.thread ? "active" : ""}`,
      dataset: { key: t.key },
      onclick: () => {
        state.thread = t.key;
        notify("thread", "threads", "thread-selected");
      },
    },
    h("div", { class: "row" }, h("strong", {}, stripChannel(t.handset) || "(unknown)"), h("span", { class: "muted small" }, shortClock(last.date_created))),
    h("div", { class: "muted small" }, `${t.channel === "sms" ? "" : `${t.channel} · `}to ${stripChannel(t.ours)}`),
    h("div", { class: "preview" }, last.body || (last.num_media ? "[media]" : "")),
  );
}

let loadGroupOpen = false; // kept across re-renders

function loadGroup(entry) {
  const details = h(
    "details",
    { open: loadGroupOpen, ontoggle: (e) => (loadGroupOpen = e.target.open) },
    h("summary", {}, h("strong", {}, `Load test: ${entry.threads.length} handsets`), h("span", { class: "muted small" }, ` newest ${shortClock(entry.threads[0].messages.at(-1).date_created)}`)),
    h("ul", { class: "list threads" }, entry.threads.map(threadItem)),
  );
  return h("li", { class: "load-group", "data-testid": "load-group" }, details);
}

function renderThreads() {
  const keep = new Set([state.thread, byId("from").value.trim()]);
  const items = collapseLoad(threads(), keep).map((entry) => (entry.group ? loadGroup(entry) : threadItem(entry)));
  fill(byId("threads"), items.length ? items : h("li", { class: "muted" }, "No messages yet. Send one from the phone."));
}

function setLive(text, ok) {
  byId("live").className = `live ${ok ? "on" : "off"}`;
  byId("live-text").textContent = text;
}

function connect() {
  const source = new EventSource("/_dashboard/events");
  let dropTimer = null;
  let firstSnapshot = true;
  source.addEventListener("open", () => {
    clearTimeout(dropTimer);
    setLive("live", true);
  });
  source.addEventListener("error", () => {
    // Streams end every few seconds by design and reconnect at once; only a lasting gap shows.
    clearTimeout(dropTimer);
    dropTimer = setTimeout(() => setLive("reconnecting…", false), 2500);
  });
  source.addEventListener("overview", (e) => {
    state.overview = JSON.parse(e.data);
    notify("overview");
  });
  source.addEventListener("snapshot", (e) => {
    const data = JSON.parse(e.data);
    state.messages = new Map(data.messages.map((m) => [m.sid, m]));
    state.attempts = new Map(data.attempts.map((a) => [a.sid, a]));
    if (firstSnapshot && state.thread === null && data.messages.length) {
      state.thread = threads()[0].key; // open the latest conversation, as a phone would
      notify("thread-selected");
    }
    firstSnapshot = false;
    notify("messages", "attempts", "threads", "thread");
    // An open attempt never changes; re-rendering it would close the inspector.
    if (state.selection && state.selection.type === "message") refreshDetail();
  });
  source.addEventListener("message", (e) => {
    const message = JSON.parse(e.data);
    state.messages.set(message.sid, message);
    notify("messages", "threads", "thread");
    const sel = state.selection;
    if (sel && sel.type === "message" && (sel.sid === message.sid || sel.sid === message.in_reply_to)) refreshDetail();
  });
  source.addEventListener("attempt", (e) => {
    const attempt = JSON.parse(e.data);
    state.attempts.set(attempt.sid, attempt);
    notify("attempts");
    const sel = state.selection;
    if (sel && sel.type === "message" && sel.sid === attempt.message_sid) refreshDetail();
  });
}

async function start() {
  on("overview", renderAccount);
  on("overview", renderNumbers);
  on("threads", renderThreads);
  byId("token-toggle").addEventListener("click", () => {
    const token = byId("auth-token");
    token.hidden = !token.hidden;
    byId("token-toggle").textContent = token.hidden ? "show auth token" : "hide";
  });
  initPhone();
  initDetail();
  initLists();
  initReset(async () => {
    fill(byId("detail"), h("p", { class: "muted" }, "Cleared."));
    reloadList();
    try {
      state.overview = await getJSON("/overview");
      notify("overview");
    } catch {
      // the event stream brings the overview again
    }
  });
  renderThreads();
  try {
    state.overview = await getJSON("/overview");
    notify("overview");
  } catch (error) {
    setLive(`error: ${error.message}`, false);
  }
  connect();
}

start();
