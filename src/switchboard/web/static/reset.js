// "Clear…": the simulator's reset behind a confirmation dialog. The dashboard acts as the main
// account, the only one allowed to reset; the numbers stay unless the box is ticked.
import { post } from "./api.js";
import { byId } from "./dom.js";
import { notify, select, state } from "./state.js";

export function initReset(afterReset) {
  const dialog = byId("clear-dialog");
  byId("clear").addEventListener("click", () => {
    byId("clear-numbers").checked = false;
    byId("clear-error").textContent = "";
    dialog.showModal();
    byId("clear-cancel").focus(); // the safe choice is the default one
  });
  byId("clear-cancel").addEventListener("click", () => dialog.close());
  byId("clear-confirm").addEventListener("click", async (event) => {
    event.target.disabled = true;
    try {
      await post("/reset", JSON.stringify({ keep_numbers: !byId("clear-numbers").checked }));
      dialog.close();
      state.messages.clear();
      state.attempts.clear();
      state.media.clear();
      state.thread = null;
      select("message", null);
      notify("messages", "attempts", "threads", "thread");
      afterReset();
    } catch (e) {
      byId("clear-error").textContent = e.message;
    } finally {
      event.target.disabled = false;
    }
  });
}
