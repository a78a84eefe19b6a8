// Load-test handsets collapsed: `switchboard load` texts from one new handset per message (its
// --from-prefix, "+1555" by default, padded to a NANP-length number: cli/loadgen.py), which
// would bury real conversations under hundreds of one-message threads. Past LOAD_GROUP_MIN of
// them, they become one collapsible entry where the newest of them was.
export const LOAD_PREFIX = "+1555";
export const LOAD_GROUP_MIN = 5;
const LOAD_HANDSET = /^\+1555\d{7}$/;

// A load handset sent exactly one message; the open conversation and the composer's own
// handset are never folded away.
function fromLoad(thread, keep) {
  const inbound = thread.messages.filter((m) => m.direction === "inbound").length;
  return LOAD_HANDSET.test(thread.handset) && inbound === 1 && !keep.has(thread.key) && !keep.has(thread.handset);
}

// The conversation list with load-test threads grouped: entries are threads, or
// { group: true, key, threads } for the fold.
export function collapseLoad(list, keep) {
  const load = list.filter((t) => fromLoad(t, keep));
  if (load.length <= LOAD_GROUP_MIN) return list;
  const folded = new Set(load.map((t) => t.key));
  const entries = [];
  for (const thread of list) {
    if (!folded.has(thread.key)) entries.push(thread);
    else if (thread === load[0]) entries.push({ group: true, key: "load-group", threads: load });
  }
  return entries;
}
