// The dashboard's JSON API. Requests that change state carry X-Switchboard-Dashboard: 1,
// which another web page cannot send without a CORS preflight this server never grants.

export const API = "/_dashboard/api";
const MUTATION = { "X-Switchboard-Dashboard": "1" };

async function handle(response) {
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail = data && (data.message || data.detail);
    const code = data && data.code ? ` ${data.code}` : "";
    throw new Error(detail ? `${detail} (HTTP ${response.status}${code ? `, error${code}` : ""})` : `HTTP ${response.status}`);
  }
  return data;
}

// fetch rejects (a TypeError, "Failed to fetch") only when no answer came at all.
async function send(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new Error("server unreachable: is switchboard still running?");
  }
  return handle(response);
}

export async function getJSON(path, params) {
  const query = params ? `?${new URLSearchParams(params)}` : "";
  return send(`${API}${path}${query}`, { headers: { Accept: "application/json" } });
}

export async function post(path, body) {
  return send(`${API}${path}`, { method: "POST", body, headers: MUTATION });
}

// A JSON request that changes state (POST, DELETE), with the REST API's parameter names.
export async function sendJSON(method, path, data) {
  const headers = { ...MUTATION, "Content-Type": "application/json" };
  return send(`${API}${path}`, { method, body: data ? JSON.stringify(data) : undefined, headers });
}
