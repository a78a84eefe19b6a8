// The live indicator. The event stream ends every few seconds by design and reconnects at
// once, so only a lasting gap counts: an error not followed by a reconnection within GAP_MS,
// or silence longer than SILENCE_MS (the server sends a heartbeat every couple of seconds, so
// a hung server or a dropped network shows too, not only a refused connection).
import { byId } from "./dom.js";

const GAP_MS = 3000;
const SILENCE_MS = 6000;
const CHECK_MS = 500;
const TYPES = ["open", "heartbeat", "overview", "snapshot", "message", "attempt"];

// ``state`` is "on", "off" (connecting) or "down"; scripts read it from <html data-live>.
export function setLive(text, state) {
  byId("live").className = `live ${state}`;
  byId("live-text").textContent = text;
  document.documentElement.dataset.live = state;
}

// Watches ``source``; calls ``restart`` (which opens a new one) when it has gone quiet.
export function watchConnection(source, restart) {
  let heard = Date.now();
  let failing = null; // when the current run of errors began
  const alive = () => {
    heard = Date.now();
    failing = null;
    setLive("live", "on");
  };
  for (const type of TYPES) source.addEventListener(type, alive);
  source.addEventListener("error", () => {
    if (failing === null) failing = Date.now();
  });
  const check = setInterval(() => {
    const now = Date.now();
    const closed = source.readyState === EventSource.CLOSED; // the browser gave up retrying
    if ((failing !== null && now - failing > GAP_MS) || closed) setLive("disconnected", "down");
    if (now - heard > SILENCE_MS || (closed && now - failing > GAP_MS)) {
      setLive("disconnected", "down");
      clearInterval(check);
      source.close();
      restart();
    }
  }, CHECK_MS);
}
