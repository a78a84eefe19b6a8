// The signature inspector: the exact URL and string we signed, and the signatures a receiver
// computes when it makes one of the usual mistakes, so a developer can find theirs.
import { getJSON } from "./api.js";
import { fill, h, pairs, pill } from "./dom.js";

function row(label, value, testid) {
  return h("div", { class: "kv" }, h("div", { class: "k" }, label), h("div", { class: "v" }, h("code", { class: "break", "data-testid": testid }, value)));
}

function variants(list, signedUrl, hasParams) {
  if (!list.length) return null;
  return h(
    "div",
    { class: "block" },
    h("h4", {}, "Signatures a receiver gets when…"),
    h("p", { class: "muted small" }, "If your app computed one of these, the first column says what it did differently."),
    h(
      "table",
      { class: "variants" },
      h("thead", {}, h("tr", {}, h("th", {}, "mistake"), h("th", {}, "signature"), h("th", {}, "what was signed"))),
      h(
        "tbody",
        {},
        list.map((v) =>
          h(
            "tr",
            {},
            h("td", {}, h("details", {}, h("summary", {}, v.label), h("p", { class: "small" }, v.why))),
            h("td", {}, h("code", {}, v.signature)),
            // URL mistakes differ in the URL only; parameter mistakes in the rest of the string.
            h("td", {}, v.url !== signedUrl ? h("code", { class: "break" }, v.url, hasParams ? h("span", { class: "muted" }, " + parameters") : null) : h("code", { class: "break clamp" }, v.string_to_sign)),
          ),
        ),
      ),
    ),
  );
}

function checkResult(check) {
  if (!check) return null;
  return h(
    "div",
    { class: "check-result" },
    row("URL checked", check.url),
    row("Signature for that URL", check.signature),
    h("p", {}, check.valid ? pill("our X-Twilio-Signature validates at this URL", "ok") : pill("our X-Twilio-Signature does NOT validate at this URL", "bad")),
    check.differences.length ? h("ul", { class: "plain" }, check.differences.map((d) => h("li", {}, d))) : h("p", { class: "muted small" }, "Same scheme, host, port, path and query as the URL we signed."),
    check.their_signature
      ? h("p", {}, check.their_variant ? `Your signature is the one for: ${check.their_variant}.` : "Your signature matches none of the variants: check the auth token (each subaccount has its own) and the parameters.")
      : null,
  );
}

function checkForm(attempt, data, target) {
  const url = h("input", { name: "url", value: (data.check && data.check.url) || data.signed_url, "aria-label": "URL your app saw" });
  const signature = h("input", { name: "signature", placeholder: "optional", value: (data.check && data.check.their_signature) || "", "aria-label": "Signature your app computed" });
  return h(
    "form",
    {
      class: "check",
      onsubmit: (e) => {
        e.preventDefault();
        renderInspector(target, attempt, { url: url.value, signature: signature.value });
      },
    },
    h("h4", {}, "Check what your app saw"),
    h("label", {}, "URL your app reconstructed", url),
    h("label", {}, "Signature your app computed", signature),
    h("button", { type: "submit" }, "Check"),
  );
}

export async function renderInspector(target, attempt, query) {
  fill(target, h("p", { class: "muted" }, "Computing…"));
  let data;
  try {
    data = await getJSON(`/attempts/${encodeURIComponent(attempt.sid)}/signature`, query);
  } catch (e) {
    fill(target, h("p", { class: "error" }, e.message));
    return;
  }
  fill(
    target,
    h("h3", {}, "Signature inspector"),
    h(
      "p",
      { class: "small" },
      "X-Twilio-Signature = base64(HMAC-SHA1(auth token, string to sign)). The string to sign is the URL below, then, for a form POST, every parameter as name + value sorted by name.",
    ),
    row("Configured URL", data.configured_url),
    row("Signed URL", data.signed_url, "signed-url"),
    row("Method / content type", `${data.method} ${data.content_type || ""}`),
    h("h4", {}, "String to sign"),
    h("pre", { class: "body", "data-testid": "string-to-sign" }, data.string_to_sign),
    row("Signature (recomputed)", data.signature, "signature"),
    row("X-Twilio-Signature sent", data.header_signature || "(none)"),
    data.consistent ? pill("the header we sent matches", "ok") : pill("the header we sent differs from the recomputation", "bad"),
    data.params.length ? h("details", { class: "block" }, h("summary", {}, `Parameters as signed (${data.params.length})`), pairs(data.params)) : null,
    checkForm(attempt, data, target),
    checkResult(data.check),
    variants(data.variants, data.signed_url, data.params.length > 0),
    h(
      "div",
      { class: "block" },
      h("h4", {}, "The usual receiver mistakes"),
      h("ul", { class: "notes" }, data.notes.map((n) => h("li", {}, h("strong", {}, n.title), " — ", n.text))),
    ),
  );
}
