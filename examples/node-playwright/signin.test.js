// Sign in with a code sent by SMS: Playwright drives the page in Chromium, and switchboard's
// assertion API (GET /_sim/messages with Wait) hands the test the text the app sent.
//
// Environment: SWITCHBOARD_URL, SWITCHBOARD_ACCOUNT_SID, SWITCHBOARD_AUTH_TOKEN, SWITCHBOARD_FROM
// (a number of that account); CHROMIUM (default /usr/bin/chromium).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium, request } from "playwright-core";
import { startApp } from "./app.js";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
};
const SWITCHBOARD = env("SWITCHBOARD_URL", "http://127.0.0.1:8080");
const ACCOUNT_SID = env("SWITCHBOARD_ACCOUNT_SID");
const AUTH_TOKEN = env("SWITCHBOARD_AUTH_TOKEN");
const HANDSET = "+15555550142";

let app, browser, switchboard;

before(async () => {
  app = await startApp({
    apiUrl: SWITCHBOARD, // Twilio's REST API, served by switchboard
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    from: env("SWITCHBOARD_FROM"),
  });
  browser = await chromium.launch({
    executablePath: env("CHROMIUM", "/usr/bin/chromium"), // Debian's Chromium, no download
    args: ["--headless=new", "--no-sandbox", "--disable-gpu"],
  });
  // Playwright's HTTP client, with switchboard's credentials (the same Basic auth as Twilio's).
  switchboard = await request.newContext({
    baseURL: SWITCHBOARD,
    httpCredentials: { username: ACCOUNT_SID, password: AUTH_TOKEN, send: "always" },
  });
});

after(async () => {
  await switchboard?.dispose();
  await browser?.close();
  app?.server.close();
});

// The newest text to `to` whose body matches `pattern`, waiting up to 10 s for it to be sent.
async function waitForText(to, pattern, since) {
  const response = await switchboard.get("/_sim/messages", {
    params: { To: to, Body: pattern, Since: since, Wait: 10 },
    timeout: 20_000,
  });
  assert.equal(response.status(), 200, await response.text()); // 408: no such text in 10 s
  const { messages } = await response.json();
  return messages[0];
}

test("signs in with the code texted to the phone", async () => {
  const since = new Date().toISOString(); // only texts sent by this test
  const page = await browser.newPage();
  await page.goto(app.url);
  await page.getByLabel("Phone").fill(HANDSET);
  await page.getByRole("button", { name: "Text me a code" }).click();

  const text = await waitForText(HANDSET, "sign-in code is \\d{6}", since);
  const code = text.body.match(/\d{6}/)[0];
  assert.equal(text.direction, "outbound-api");

  await page.getByLabel("Code").fill(code);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Signed in.").waitFor();
});

test("a wrong code is refused", async () => {
  const page = await browser.newPage();
  await page.goto(app.url);
  await page.getByLabel("Phone").fill(HANDSET);
  await page.getByRole("button", { name: "Text me a code" }).click();
  await page.getByLabel("Code").fill("not-it");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Wrong code.").waitFor();
});

test("no text yet: switchboard answers 408 when the wait ends", async () => {
  const response = await switchboard.get("/_sim/messages", {
    params: { To: "+15555550000", Wait: 1 },
  });
  assert.equal(response.status(), 408);
  const error = await response.json();
  assert.equal(error.code, 20408); // Twilio's error format: code, message, more_info, status
});
