// The dashboard: wires the live event stream to the state and renders the sidebar.
import { getJSON } from "./api.js";
import { byId, fill, h, shortClock, stripChannel } from "./dom.js";
import { initCharts } from "./charts.js";
import { initDetail, refreshDetail } from "./detail.js";
import { initKeys } from "./keys.js";
import { initLists, reload as reloadList } from "./lists.js";
import { setLive, watchConnection } from "./live.js";
import { collapseLoad } from "./loadgroup.js";
import { initNumbers } from "./numbers.js";
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

function connect() {
  const source = new EventSource("/_dashboard/events");
  let firstSnapshot = true;
  watchConnection(source, connect);
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
    // After the batched render (this frame callback runs after notify's): scripts wait for it.
    requestAnimationFrame(() => {
      document.documentElement.dataset.state = "ready";
    });
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
  initNumbers();
  initCharts();
  initKeys();
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
    setLive(`error: ${error.message}`, "down");
  }
  connect();
}

start();
