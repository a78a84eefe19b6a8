// Numbers and Messaging Services in the sidebar: shown, created and edited. The server checks
// every change with the REST API's rules; its Twilio error is shown beside the form.
import { sendJSON } from "./api.js";
import { byId, fill, h } from "./dom.js";
import { notify, on, state } from "./state.js";

const CLI_ADD = "switchboard numbers add +15555550100 --sms-url http://127.0.0.1:5000/sms";
const SDK_SERVICE = 'client.messaging.v1.services.create(friendly_name="My service")';

// Open editors survive the live overview's re-renders: key -> the form element.
const editors = new Map();

function adopt(overview) {
  // The answer to a change is the fresh overview; keep what only GET /overview adds.
  state.overview = { ...state.overview, ...overview };
  notify("overview");
}

function field(label, name, value, attrs = {}) {
  return h("label", {}, label, h("input", { name, value: value || "", ...attrs }));
}

function methodField(label, name, value) {
  const select = h("select", { name }, ["POST", "GET"].map((m) => h("option", { value: m }, m)));
  select.value = value || "POST";
  return h("label", {}, label, select);
}

function values(form) {
  const data = {};
  for (const el of form.elements) if (el.name) data[el.name] = el.value;
  return data;
}

// A form that sends ``submit(values)``; errors stay in the form, success closes it.
function editor(key, title, fields, submit) {
  const error = h("div", { class: "error form-error", role: "alert", "data-testid": "form-error" });
  const close = () => {
    editors.delete(key);
    notify("overview");
  };
  const form = h(
    "form",
    {
      class: "editor",
      "data-testid": `editor-${key}`,
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        try {
          await submit(values(form));
          close();
        } catch (e) {
          error.textContent = e.message;
        } finally {
          button.disabled = false;
        }
      },
      onkeydown: (event) => {
        if (event.key === "Escape") close();
      },
    },
    h("h3", {}, title),
    fields,
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary small" }, "Save"), h("button", { type: "button", class: "small", onclick: close }, "Cancel")),
  );
  editors.set(key, form);
  notify("overview");
  requestAnimationFrame(() => {
    const first = form.querySelector("input, select");
    if (first) first.focus();
  });
  return form;
}

function numberFields(n) {
  return [
    field("SMS URL", "SmsUrl", n && n.sms_url, { type: "url", placeholder: "http://127.0.0.1:5000/sms" }),
    methodField("SMS method", "SmsMethod", n && n.sms_method),
    field("Fallback URL", "SmsFallbackUrl", n && n.sms_fallback_url, { type: "url" }),
    field("Status callback", "StatusCallback", n && n.status_callback, { type: "url" }),
    field("Friendly name", "FriendlyName", n && n.friendly_name),
  ];
}

function serviceChoice(n) {
  const services = state.overview.services.filter((s) => s.account_sid === n.account_sid);
  if (!services.length) return null;
  const select = h("select", { name: "ServiceSid" }, h("option", { value: "" }, "(none)"), services.map((s) => h("option", { value: s.sid }, s.friendly_name)));
  select.value = n.service_sid || "";
  return h("label", {}, "Messaging Service", select);
}

function addNumber() {
  editor(
    "new-number",
    "Add a number",
    [field("Phone number", "PhoneNumber", "", { required: true, placeholder: "+15555550100", inputmode: "tel" }), ...numberFields(null)],
    async (data) => adopt(await sendJSON("POST", "/numbers", data)),
  );
}

function editNumber(n) {
  editor(n.sid, `Edit ${n.phone_number}`, [...numberFields(n), serviceChoice(n)], async (data) => {
    const { ServiceSid: service, ...params } = data;
    let overview = await sendJSON("POST", `/numbers/${encodeURIComponent(n.sid)}`, params);
    if (service !== undefined && service !== (n.service_sid || "")) {
      if (n.service_sid) overview = await sendJSON("DELETE", `/services/${encodeURIComponent(n.service_sid)}/numbers/${encodeURIComponent(n.sid)}`);
      if (service) overview = await sendJSON("POST", `/services/${encodeURIComponent(service)}/numbers`, { PhoneNumberSid: n.sid });
    }
    adopt(overview);
  });
}

function addService() {
  editor(
    "new-service",
    "Add a Messaging Service",
    [
      field("Friendly name", "FriendlyName", "", { required: true }),
      field("Inbound request URL", "InboundRequestUrl", "", { type: "url" }),
      methodField("Inbound method", "InboundMethod", "POST"),
      field("Status callback", "StatusCallback", "", { type: "url" }),
    ],
    async (data) => adopt(await sendJSON("POST", "/services", data)),
  );
}

function numberItem(n, services) {
  const service = n.service_sid ? services.get(n.service_sid) : null;
  const target = n.webhook; // where its inbound messages go, decided by the server
  return h(
    "li",
    { class: "number", dataset: { sid: n.sid } },
    h(
      "div",
      { class: "row" },
      h("strong", {}, n.phone_number),
      h("span", { class: "row" }, service ? h("span", { class: "tag" }, service.friendly_name) : null, h("button", { type: "button", class: "small edit", title: `Edit ${n.phone_number}`, onclick: () => editNumber(n) }, "Edit")),
    ),
    h("div", { class: "url", title: target ? target.url : "" }, target ? `${target.method} ${target.url}` : "no webhook URL"),
  );
}

// A short code or channel sender: shown like a number, configured through the REST API.
const SENDER_KINDS = { whatsapp: "WhatsApp", rcs: "RCS" };

function senderKind(s) {
  if (s.kind === "short_code") return "short code";
  return SENDER_KINDS[s.address.split(":")[0]] || "channel";
}

function senderItem(s, services) {
  const service = s.service_sid ? services.get(s.service_sid) : null;
  const target = s.webhook;
  return h(
    "li",
    { class: "number sender", dataset: { sid: s.sid, kind: s.kind } },
    h(
      "div",
      { class: "row" },
      h("strong", {}, s.address),
      h("span", { class: "row" }, h("span", { class: "tag muted" }, senderKind(s)), service ? h("span", { class: "tag" }, service.friendly_name) : null),
    ),
    h("div", { class: "url", title: target ? target.url : "" }, target ? `${target.method} ${target.url}` : "no webhook URL"),
  );
}

function poolText(s) {
  const pool = [...s.numbers, ...s.senders.map((p) => p.sender)];
  return pool.length ? pool.join(", ") : "no numbers in its pool: Edit a number to add it";
}

function cli(text) {
  return h("code", { class: "cli" }, text);
}

function renderNumbers() {
  const o = state.overview;
  if (!o) return;
  const services = new Map(o.services.map((s) => [s.sid, s]));
  const items = o.numbers.map((n) => (editors.has(n.sid) ? h("li", { class: "number editing" }, editors.get(n.sid)) : numberItem(n, services)));
  items.push(...(o.senders || []).map((s) => senderItem(s, services)));
  const empty = h("li", { class: "muted empty-state" }, "No numbers yet. Add one with + Add, or from a terminal: ", cli(CLI_ADD));
  fill(byId("numbers"), items.length ? items : empty);
  fill(byId("number-editor"), editors.get("new-number") || null);

  const svc = o.services.map((s) =>
    h(
      "li",
      { dataset: { sid: s.sid } },
      h("div", { class: "row" }, h("strong", {}, s.friendly_name), h("code", { class: "muted sid" }, s.sid)),
      h("div", { class: "url" }, s.inbound_request_url ? `inbound: ${s.inbound_request_url}` : "no inbound URL"),
      h("div", { class: "muted small", "data-testid": "pool" }, poolText(s)),
    ),
  );
  const noServices = h("li", { class: "muted empty-state" }, "None yet. Add one with + Add, or with the REST API: ", cli(SDK_SERVICE));
  fill(byId("services"), svc.length ? svc : noServices);
  fill(byId("service-editor"), editors.get("new-service") || null);
}

export function initNumbers() {
  on("overview", renderNumbers);
  byId("add-number").addEventListener("click", addNumber);
  byId("add-service").addEventListener("click", addService);
}
