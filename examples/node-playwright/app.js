// The app under test: a sign-in page that texts a one-time code through Twilio's REST API.
// It knows nothing about switchboard: point TWILIO_API_URL at Twilio and it runs for real.
import { randomInt } from "node:crypto";
import { createServer } from "node:http";

const PAGE = `<!doctype html>
<title>Sign in</title>
<form id="phone-form">
  <label>Phone <input name="phone" type="tel"></label>
  <button>Text me a code</button>
</form>
<form id="code-form" hidden>
  <label>Code <input name="code" inputmode="numeric"></label>
  <button>Sign in</button>
</form>
<p id="result" role="status"></p>
<script>
  const post = (path, data) =>
    fetch(path, { method: "POST", body: new URLSearchParams(data) }).then((r) => r.json());
  const phoneForm = document.getElementById("phone-form");
  const codeForm = document.getElementById("code-form");
  const result = document.getElementById("result");
  phoneForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await post("/code", { phone: phoneForm.phone.value });
    result.textContent = answer.message;
    codeForm.hidden = !answer.sent;
  });
  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await post("/verify", { phone: phoneForm.phone.value, code: codeForm.code.value });
    result.textContent = answer.message;
  });
</script>`;

async function readForm(request) {
  let body = "";
  for await (const chunk of request) body += chunk;
  return new URLSearchParams(body);
}

// twilio: { apiUrl, accountSid, authToken, from }
export function startApp(twilio) {
  const codes = new Map(); // phone -> the code texted to it
  const auth = "Basic " + Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString("base64");

  async function textCode(phone) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const url = `${twilio.apiUrl}/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`;
    const body = new URLSearchParams({ To: phone, From: twilio.from, Body: `Your sign-in code is ${code}` });
    const response = await fetch(url, { method: "POST", headers: { Authorization: auth }, body });
    if (!response.ok) throw new Error(`Twilio answered ${response.status}: ${await response.text()}`);
    codes.set(phone, code);
  }

  const server = createServer(async (request, response) => {
    const reply = (status, type, body) => {
      response.writeHead(status, { "Content-Type": type });
      response.end(body);
    };
    const json = (document) => reply(200, "application/json", JSON.stringify(document));
    try {
      if (request.method === "GET" && request.url === "/") return reply(200, "text/html", PAGE);
      if (request.method === "POST" && request.url === "/code") {
        const form = await readForm(request);
        await textCode(form.get("phone"));
        return json({ sent: true, message: "We texted you a code." });
      }
      if (request.method === "POST" && request.url === "/verify") {
        const form = await readForm(request);
        const right = codes.get(form.get("phone")) === form.get("code");
        return json({ message: right ? "Signed in." : "Wrong code." });
      }
      reply(404, "text/plain", "not found");
    } catch (error) {
      reply(500, "application/json", JSON.stringify({ sent: false, message: String(error) }));
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}
