// The phone simulator: the selected conversation as bubbles (a Content template's message with
// its buttons, which the handset can tap), and a composer that sends an inbound message (text,
// uploaded media, media URL, WhatsApp profile name, location).
import { getJSON, post } from "./api.js";
import { byId, clock, fill, h, statusClass, stripChannel } from "./dom.js";
import { notify, on, select, state, threads } from "./state.js";

function currentThread() {
  return threads().find((t) => t.key === state.thread) || null;
}

function location(extra) {
  if (!extra || (!extra.Latitude && !extra.Address)) return null;
  const where = [extra.Label, extra.Address].filter(Boolean).join(" — ");
  const coords = extra.Latitude ? `(${extra.Latitude}, ${extra.Longitude || "?"})` : "";
  return h("div", { class: "location" }, h("span", { class: "label" }, "Location"), " ", [where, coords].filter(Boolean).join(" "));
}

async function loadMedia(message, holder) {
  let media = state.media.get(message.sid);
  if (!media) {
    try {
      media = (await getJSON(`/messages/${encodeURIComponent(message.sid)}`)).media;
      state.media.set(message.sid, media);
    } catch {
      return;
    }
  }
  fill(
    holder,
    media.map((m) =>
      m.content_type.startsWith("image/")
        ? h("img", { src: m.url, alt: m.content_type, loading: "lazy" })
        : h("span", { class: "attachment" }, `Attachment: ${m.content_type}${m.size ? ` · ${m.size} bytes` : ""}`),
    ),
  );
}

// A message sent from a Content template: what the handset shows besides the body text (the
// server fills the placeholders and lists what can be tapped: web/render.py template_json).
function templateParts(template) {
  if (!template) return { before: [], after: [] };
  const f = template.fields || {};
  const values = Object.entries(template.variables || {}).map(([k, v]) => `{{${k}}}=${v}`).join(" ");
  const before = [
    h("div", { class: "template", title: "Content template and the values of its variables" },
      `${template.type} · ${template.sid}${values ? ` · ${values}` : ""}`),
    f.header_text ? h("div", { class: "card-header" }, f.header_text) : null,
    template.type === "twilio/location"
      ? h("div", { class: "location" }, h("span", { class: "label" }, "Location"), " ",
          `${[f.label, f.address].filter(Boolean).join(" — ")} (${f.latitude}, ${f.longitude})`)
      : null,
  ];
  const after = [
    f.footer ? h("div", { class: "footer" }, f.footer) : null,
    f.button ? h("div", { class: "picker" }, `☰ ${f.button}`) : null,
    ...(template.type === "whatsapp/authentication" ? (f.actions || []).map((a) => h("div", { class: "code" }, `⧉ ${a.copy_code_text}`)) : []),
  ];
  return { before, after };
}

async function tap(message, button) {
  const data = new FormData();
  data.set("From", message.to); // the handset that received the template answers it
  data.set("To", message.from);
  data.set("Body", "");
  data.set("OriginalRepliedMessageSid", message.sid);
  data.set("ButtonPayload", button.id);
  const error = byId("send-error");
  error.textContent = "";
  try {
    const sent = await post("/inbound", data);
    state.messages.set(sent.sid, sent);
    state.thread = sent.thread.key;
    notify("threads", "thread");
    select("message", sent.sid);
  } catch (e) {
    error.textContent = e.message;
  }
}

function chips(message) {
  const buttons = (message.template && message.template.buttons) || [];
  if (!buttons.length || message.direction === "inbound") return null;
  return h(
    "div",
    { class: "chips", "data-testid": "buttons" },
    buttons.map((b) =>
      h("button", { type: "button", class: "chip", dataset: { payload: b.id }, title: `Tap: ButtonPayload=${b.id} (${b.type})`, onclick: () => tap(message, b) }, b.text),
    ),
  );
}

function bubble(message) {
  const mine = message.direction === "inbound"; // the handset (you) sent it
  const media = message.num_media ? h("div", { class: "media" }) : null;
  if (media) loadMedia(message, media);
  const profile = mine && message.extra && message.extra.ProfileName;
  const selected = state.selection && state.selection.sid === message.sid;
  const template = templateParts(message.template);
  return h(
    "div",
    { class: `bubble-row ${mine ? "mine" : "theirs"}` },
    h(
      "button",
      {
        type: "button",
        class: `bubble ${mine ? "mine" : "theirs"} ${selected ? "selected" : ""}`,
        dataset: { sid: message.sid, direction: message.direction },
        title: "Show status timeline and webhooks",
        onclick: () => select("message", message.sid),
      },
      profile ? h("div", { class: "profile" }, `~ ${profile}`) : null,
      template.before,
      media,
      location(message.extra),
      message.body ? h("div", { class: "text" }, message.body) : null,
      template.after,
    ),
    chips(message),
    h(
      "div",
      { class: "meta" },
      h("span", { class: `status ${statusClass(message.status)}` }, message.status),
      message.error_code ? h("span", { class: "status bad" }, ` ${message.error_code}`) : null,
      ` · ${clock(message.date_created)}`,
    ),
  );
}

function renderConversation() {
  const thread = currentThread();
  const box = byId("conversation");
  if (!thread) {
    byId("thread-title").textContent = "New conversation";
    byId("thread-sub").textContent = "Pick a number, type a message and press Send.";
    fill(box, h("p", { class: "empty" }, "Messages you send from this phone go to your app's webhook; its replies appear here."));
    return;
  }
  byId("thread-title").textContent = stripChannel(thread.ours) || "(service)";
  byId("thread-sub").textContent = `${thread.channel} · you are ${stripChannel(thread.handset)}`;
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  fill(box, thread.messages.map(bubble));
  if (atBottom || box.dataset.key !== thread.key) box.scrollTop = box.scrollHeight;
  box.dataset.key = thread.key;
}

function renderNumberChoices() {
  const select = byId("to");
  const previous = select.value;
  const numbers = (state.overview && state.overview.numbers) || [];
  fill(select, numbers.map((n) => h("option", { value: n.phone_number }, n.phone_number)));
  if (numbers.some((n) => n.phone_number === previous)) select.value = previous;
}

function followThread() {
  const thread = currentThread();
  if (!thread) return;
  byId("from").value = stripChannel(thread.handset);
  byId("channel").value = thread.channel === "whatsapp" ? "whatsapp" : "sms";
  const ours = stripChannel(thread.ours);
  if ([...byId("to").options].some((o) => o.value === ours)) byId("to").value = ours;
}

function address(channel, value) {
  const bare = stripChannel(value.trim());
  return channel === "sms" ? bare : `${channel}:${bare}`;
}

async function send(event) {
  event.preventDefault();
  const form = byId("composer");
  const channel = byId("channel").value;
  const data = new FormData(form);
  data.set("From", address(channel, byId("from").value));
  data.set("To", address(channel, byId("to").value));
  const error = byId("send-error");
  error.textContent = "";
  byId("send").disabled = true;
  try {
    const message = await post("/inbound", data);
    state.messages.set(message.sid, message);
    state.thread = message.thread.key;
    byId("body").value = "";
    for (const id of ["media-files", "media-url", "latitude", "longitude", "address", "label"]) byId(id).value = "";
    byId("extras").open = false;
    notify("threads", "thread");
    select("message", message.sid);
  } catch (e) {
    error.textContent = e.message;
  } finally {
    byId("send").disabled = false;
  }
}

export function initPhone() {
  on("thread", renderConversation);
  on("selection", renderConversation);
  on("overview", renderNumberChoices);
  on("thread-selected", followThread);
  byId("composer").addEventListener("submit", send);
  byId("body").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      byId("composer").requestSubmit();
    }
  });
  byId("new-thread").addEventListener("click", () => {
    state.thread = null;
    notify("thread", "threads", "thread-selected");
    byId("from").focus();
  });
  renderConversation();
}
