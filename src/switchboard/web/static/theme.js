// Light or dark: the system's preference (prefers-color-scheme) until the toggle says
// otherwise; the choice is remembered in localStorage. A classic script loaded in <head>, so
// the page is painted in the right colours from the start.
(() => {
  const KEY = "switchboard.theme";
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    try {
      const value = localStorage.getItem(KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch {
      return null; // storage disabled: follow the system
    }
  }

  function apply() {
    const theme = stored() || (system.matches ? "dark" : "light");
    root.dataset.theme = theme;
    const button = document.getElementById("theme-toggle");
    if (button) {
      button.textContent = theme === "dark" ? "☀ light" : "☾ dark";
      button.title = `Switch to ${theme === "dark" ? "light" : "dark"} mode (t)`;
      button.setAttribute("aria-pressed", String(theme === "dark"));
    }
  }

  function toggle() {
    const next = root.dataset.theme === "dark" ? "light" : "dark";
    try {
      // Choosing what the system prefers means following the system again.
      if (next === (system.matches ? "dark" : "light")) localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
    } catch {
      root.dataset.theme = next;
      return;
    }
    apply();
  }

  apply();
  system.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", () => {
    apply();
    document.getElementById("theme-toggle").addEventListener("click", toggle);
  });
})();
