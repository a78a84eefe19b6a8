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
    throw new Error(detail ? `${detail} (HTTP ${response.status})` : `HTTP ${response.status}`);
  }
  return data;
}

export async function getJSON(path, params) {
  const query = params ? `?${new URLSearchParams(params)}` : "";
  return handle(await fetch(`${API}${path}${query}`, { headers: { Accept: "application/json" } }));
}

export async function post(path, body) {
  return handle(await fetch(`${API}${path}`, { method: "POST", body, headers: MUTATION }));
}
