// Keyboard navigation, listed in the ? overlay: j/k or the arrows move through a list, h/l or
// left/right switch lists (conversations, the open conversation's messages, the finder's rows:
// webhook attempts or messages, whichever tab is shown), Enter opens, r replays the open webhook
// attempt, / or c focuses the composer, t switches light/dark.
import { byId, h } from "./dom.js";

const LISTS = [
  { name: "conversations", container: "threads", items: "li.thread", id: (el) => el.dataset.key },
  { name: "messages", container: "conversation", items: ".bubble", id: (el) => el.dataset.sid },
  // The finder fills only the shown tab's table and empties the other.
  { name: "finder", container: "results", items: "tbody tr[data-sid]", id: (el) => el.dataset.sid },
];

export const SHORTCUTS = [
  ["j / ↓", "next item in the list"],
  ["k / ↑", "previous item"],
  ["h / ← , l / →", "previous / next list: conversations, the conversation, the finder's rows"],
  ["Enter", "open the item under the cursor"],
  ["r", "replay the open webhook attempt"],
  ["/ or c", "write a message (focus the composer)"],
  ["t", "switch between light and dark mode"],
  ["?", "show or hide this help"],
  ["Esc", "close this help, leave a text field"],
];

let active = 0;
const cursor = LISTS.map(() => null); // each list's item id under the cursor

function items(list) {
  return [...byId(list.container).querySelectorAll(list.items)];
}

function paint() {
  for (const [i, list] of LISTS.entries()) {
    byId(list.container).classList.toggle("kbd-active", i === active && cursor[i] !== null);
    for (const el of items(list)) el.classList.toggle("kbd-cursor", list.id(el) === cursor[i]);
  }
}

function move(step) {
  const list = LISTS[active];
  const all = items(list);
  if (!all.length) return;
  const at = all.findIndex((el) => list.id(el) === cursor[active]);
  const next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
  cursor[active] = list.id(all[next]);
  paint();
  all[next].scrollIntoView({ block: "nearest" });
}

function switchList(step) {
  active = (active + step + LISTS.length) % LISTS.length;
  if (cursor[active] === null) move(1);
  else paint();
}

function open() {
  const list = LISTS[active];
  const el = items(list).find((e) => list.id(e) === cursor[active]);
  if (el) el.click();
}

function help() {
  let overlay = byId("help");
  if (!overlay) {
    overlay = h(
      "div",
      { id: "help", class: "overlay", role: "dialog", "aria-modal": "true", "aria-labelledby": "help-title", hidden: true, onclick: (e) => e.target === overlay && toggleHelp(false) },
      h(
        "div",
        { class: "panel help" },
        h("h3", { id: "help-title" }, "Keyboard shortcuts"),
        h("table", { class: "pairs" }, h("tbody", {}, SHORTCUTS.map(([k, v]) => h("tr", {}, h("th", {}, h("kbd", {}, k)), h("td", {}, v))))),
        h("p", { class: "muted small" }, "Shortcuts are off while you type in a field."),
      ),
    );
    document.body.append(overlay);
  }
  return overlay;
}

function toggleHelp(show) {
  const overlay = help();
  overlay.hidden = show === undefined ? !overlay.hidden : !show;
}

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

const KEYS = {
  j: () => move(1),
  ArrowDown: () => move(1),
  k: () => move(-1),
  ArrowUp: () => move(-1),
  l: () => switchList(1),
  ArrowRight: () => switchList(1),
  h: () => switchList(-1),
  ArrowLeft: () => switchList(-1),
  Enter: open,
  r: () => byId("replay") && byId("replay").click(),
  "/": () => byId("body").focus(),
  c: () => byId("body").focus(),
  t: () => byId("theme-toggle").click(),
  "?": () => toggleHelp(),
};

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Escape") {
    toggleHelp(false);
    if (typing(event.target)) event.target.blur();
    return;
  }
  if (typing(event.target)) return;
  // Enter on a focused button or link is the browser's own.
  if (event.key === "Enter" && event.target instanceof HTMLElement && event.target.closest("button, a, summary")) return;
  const action = KEYS[event.key];
  if (!action) return;
  event.preventDefault();
  action();
}

export function initKeys() {
  document.addEventListener("keydown", onKey);
  byId("help-toggle").addEventListener("click", () => toggleHelp());
  // The lists re-render on every live update: keep each cursor on its item.
  const observer = new MutationObserver(paint);
  // The finder's rows sit in a table inside its container, hence the subtree.
  for (const list of LISTS) observer.observe(byId(list.container), { childList: true, subtree: true });
}
