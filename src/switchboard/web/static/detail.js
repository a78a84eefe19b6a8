// The right-hand column's detail: the selected message or attempt (lists.js lists them).
import { getJSON, post } from "./api.js";
import { attemptOutcome, byId, clock, fill, h, pairs, pill, since, statusClass } from "./dom.js";
import { renderInspector } from "./inspector.js";
import { notify, on, select, state } from "./state.js";

let generation = 0; // responses to superseded requests are dropped

export function attemptRow(a) {
  const outcome = attemptOutcome(a);
  const selected = state.selection && state.selection.sid === a.sid;
  return h(
    "tr",
    { class: selected ? "selected" : "", dataset: { sid: a.sid }, onclick: () => select("attempt", a.sid) },
    h("td", { class: "nowrap" }, clock(a.date_created)),
    h("td", {}, a.kind, a.attempt > 1 ? ` #${a.attempt}` : ""),
    h(
      "td",
      { class: "url-cell", title: a.location ? `${a.url}\n→ ${a.location}` : a.url },
      h("span", { class: "method" }, a.method),
      " ",
      a.url,
      a.location ? h("span", { class: "muted" }, ` → ${a.location}`) : null,
    ),
    h("td", {}, pill(outcome.text, outcome.cls)),
    h("td", { class: "num" }, Math.round(a.duration_ms)),
  );
}

function section(title, ...children) {
  return h("section", { class: "block" }, h("h3", {}, title), ...children);
}

function timeline(events) {
  if (!events.length) return h("p", { class: "muted" }, "No status changes recorded.");
  const start = events[0].at;
  return h(
    "ol",
    { class: "timeline", "data-testid": "timeline" },
    events.map((e) =>
      h(
        "li",
        { class: statusClass(e.status) },
        h("strong", {}, e.status),
        h("span", { class: "muted" }, ` ${clock(e.at)} `),
        h("span", { class: "muted small" }, since(start, e.at)),
        e.error_code ? h("span", { class: "status bad" }, ` error ${e.error_code}`) : null,
      ),
    ),
  );
}

// The CloudEvents sent to Sinks about this message, each with the attempt that carried it.
function streamEvents(events) {
  return h(
    "table",
    { class: "attempts", "data-testid": "stream-events" },
    h(
      "tbody",
      {},
      events.map((e) => {
        const ok = e.status !== null && e.status >= 200 && e.status < 300;
        const result = e.status === null ? `error ${e.error_code}` : `${e.status}`;
        return h(
          "tr",
          { dataset: { sid: e.attempt_sid }, onclick: () => select("attempt", e.attempt_sid) },
          h("td", { class: "nowrap" }, clock(e.time)),
          h("td", {}, (e.type || "").replace("com.twilio.messaging.", ""), e.attempt > 1 ? ` #${e.attempt}` : ""),
          h("td", { class: "url-cell" }, h("code", {}, e.id)),
          h("td", {}, pill(result, ok ? "ok" : "bad")),
        );
      }),
    ),
  );
}

function messageDetail(data) {
  const m = data.message;
  const extras = Object.entries(m.extra || {});
  return [
    h(
      "div",
      { class: "detail-head" },
      h("h2", {}, "Message ", h("code", {}, m.sid)),
      pill(m.status, statusClass(m.status)),
      h("span", { class: "tag" }, m.direction),
    ),
    h("p", {}, h("code", {}, m.from || m.messaging_service_sid || "?"), " → ", h("code", {}, m.to)),
    m.body ? h("blockquote", {}, m.body) : null,
    m.error_code ? h("p", { class: "error" }, `Error ${m.error_code}: ${m.error_message || ""}`) : null,
    data.sender_choice
      ? section(
          "Sender chosen by the Messaging Service",
          h("p", { "data-testid": "sender-choice" }, h("code", {}, data.sender_choice.sender || "none"), ` (${data.sender_choice.rule.replaceAll("_", " ")}): ${data.sender_choice.detail}`),
        )
      : null,
    m.in_reply_to ? h("p", {}, "In reply to ", h("button", { type: "button", class: "link", onclick: () => select("message", m.in_reply_to) }, m.in_reply_to)) : null,
    extras.length ? section("Channel extras", pairs(extras)) : null,
    data.media.length
      ? section("Media", h("ul", { class: "plain" }, data.media.map((x) => h("li", {}, h("a", { href: x.url, target: "_blank", rel: "noopener" }, x.content_type), ` ${x.size ? `${x.size} bytes` : x.source_url || ""}`))))
      : null,
    section("Status timeline", timeline(data.timeline)),
    (data.events || []).length ? section("Event Streams", streamEvents(data.events)) : null,
    section(
      "Webhook attempts",
      data.webhook_pending ? h("p", { class: "muted" }, "The incoming webhook is still pending…") : null,
      data.attempts.length
        ? h("table", { class: "attempts" }, h("tbody", {}, data.attempts.map(attemptRow)))
        : h("p", { class: "muted" }, "None for this message."),
    ),
    m.direction === "inbound"
      ? section(
          "Replies",
          data.replies.length
            ? h("ul", { class: "plain" }, data.replies.map((r) => h("li", {}, h("button", { type: "button", class: "link", onclick: () => select("message", r.sid) }, r.body || "(media)"), " ", pill(r.status, statusClass(r.status)))))
            : h("p", { class: "muted" }, "No replies."),
        )
      : null,
  ];
}

function bodyBlock(text, emptyText) {
  return text ? h("pre", { class: "body" }, text) : h("p", { class: "muted" }, emptyText);
}

function attemptDetail(a) {
  const outcome = attemptOutcome(a);
  const inspector = h("div", { id: "inspector", class: "inspector" });
  const notice = h("div", { class: "notice", role: "status" });
  const replay = async (event) => {
    event.target.disabled = true;
    try {
      const result = await post(`/attempts/${encodeURIComponent(a.sid)}/replay`);
      for (const item of result.attempts) state.attempts.set(item.sid, item);
      notify("attempts");
      fill(notice, "Replayed: ", result.attempts.map((x) => h("button", { type: "button", class: "link", onclick: () => select("attempt", x.sid) }, `${x.sid} → ${attemptOutcome(x).text}`)));
    } catch (e) {
      fill(notice, h("span", { class: "error" }, e.message));
    } finally {
      event.target.disabled = false;
    }
  };
  return [
    h("div", { class: "detail-head" }, h("h2", {}, "Webhook ", h("code", {}, a.sid)), pill(outcome.text, outcome.cls), h("span", { class: "tag" }, `${a.kind} · attempt ${a.attempt}`)),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "inspect", class: "primary", onclick: () => renderInspector(inspector, a) }, "Signature inspector"),
      h("button", { type: "button", id: "replay", onclick: replay }, "Replay"),
      a.message_sid ? h("button", { type: "button", onclick: () => select("message", a.message_sid) }, "Message") : null,
    ),
    notice,
    inspector,
    section(
      "Request",
      h("p", {}, h("span", { class: "method" }, a.method), " ", h("code", { class: "break" }, a.url)),
      a.idempotency_token ? h("p", { class: "muted small" }, "I-Twilio-Idempotency-Token ", h("code", {}, a.idempotency_token)) : null,
      h("h4", {}, "Headers"),
      pairs(Object.entries(a.request.headers)),
      h("h4", {}, a.request.params.length ? "Form parameters" : "Body"),
      a.request.params.length ? pairs(a.request.params) : bodyBlock(a.request.body, "empty"),
    ),
    section(
      "Response",
      h("p", {}, a.response.status ? `HTTP ${a.response.status}` : "no response", ` in ${Math.round(a.duration_ms)} ms`),
      a.location ? h("p", {}, "Redirected to ", h("code", { class: "break" }, a.location), a.error_code ? "" : " (followed: the next attempt)") : null,
      a.error_code ? h("p", { class: "error" }, `Error ${a.error_code}${a.error_detail ? `: ${a.error_detail}` : ""}`) : null,
      h("h4", {}, "Headers"),
      pairs(Object.entries(a.response.headers)),
      h("h4", {}, "Body"),
      bodyBlock(a.response.body, "empty"),
    ),
  ];
}

export async function refreshDetail() {
  const sel = state.selection;
  const box = byId("detail");
  const mine = ++generation;
  if (!sel) return;
  try {
    if (sel.type === "message") {
      const data = await getJSON(`/messages/${encodeURIComponent(sel.sid)}`);
      if (mine === generation) fill(box, messageDetail(data));
    } else {
      const data = await getJSON(`/attempts/${encodeURIComponent(sel.sid)}`);
      if (mine === generation) fill(box, attemptDetail(data));
    }
  } catch (e) {
    if (mine === generation) fill(box, h("p", { class: "error" }, e.message));
  }
}

export function initDetail() {
  on("selection", () => {
    byId("detail").scrollTop = 0;
    refreshDetail();
  });
}
