// The page's state and a tiny publish/subscribe so each panel re-renders what it shows.

export const state = {
  overview: null,
  messages: new Map(), // sid -> message (dashboard JSON, with .thread)
  attempts: new Map(), // sid -> attempt summary
  media: new Map(), // message sid -> [media] (fetched lazily for bubbles)
  thread: null, // the selected conversation's key, "ours|handset"
  selection: null, // { type: "message" | "attempt", sid }
};

// The browser keeps at most this many (the server's window is smaller; live events add up).
const KEEP_MESSAGES = 2000;
const KEEP_ATTEMPTS = 1000;

const listeners = new Map();
const pending = new Set();
let scheduled = false;

export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, []);
  listeners.get(topic).push(fn);
}

function prune(map, keep, order) {
  if (map.size <= keep) return;
  const oldest = [...map.values()].sort(order).slice(0, map.size - keep);
  for (const item of oldest) map.delete(item.sid);
}

function flush() {
  scheduled = false;
  prune(state.messages, KEEP_MESSAGES, (a, b) => a.seq - b.seq);
  prune(state.attempts, KEEP_ATTEMPTS, (a, b) => (a.date_created < b.date_created ? -1 : 1));
  const topics = [...pending];
  pending.clear();
  for (const topic of topics) for (const fn of listeners.get(topic) || []) fn();
}

// Renders are batched per animation frame: a burst of events re-renders each panel once.
export function notify(...topics) {
  for (const topic of topics) pending.add(topic);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(flush);
  }
}

export function threads() {
  const grouped = new Map();
  for (const message of state.messages.values()) {
    const key = message.thread.key;
    const entry = grouped.get(key) || { ...message.thread, messages: [] };
    entry.messages.push(message);
    grouped.set(key, entry);
  }
  const list = [...grouped.values()];
  for (const entry of list) entry.messages.sort((a, b) => a.seq - b.seq);
  list.sort((a, b) => b.messages.at(-1).seq - a.messages.at(-1).seq);
  return list;
}

export function select(type, sid) {
  state.selection = sid ? { type, sid } : null;
  notify("selection");
}
