// The page's state and a tiny publish/subscribe so each panel re-renders what it shows.

export const state = {
  overview: null,
  messages: new Map(), // sid -> message (dashboard JSON, with .thread)
  attempts: new Map(), // sid -> attempt summary
  media: new Map(), // message sid -> [media] (fetched lazily for bubbles)
  thread: null, // the selected conversation's key, "ours|handset"
  selection: null, // { type: "message" | "attempt", sid }
};

const listeners = new Map();

export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, []);
  listeners.get(topic).push(fn);
}

export function notify(...topics) {
  for (const topic of topics) for (const fn of listeners.get(topic) || []) fn();
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
