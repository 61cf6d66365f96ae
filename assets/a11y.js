/* Accessibility repairs of Dash's own markup (axe-core, run by the browser tests, finds no
   serious or critical violation with them).

   Dash 4's Checklist and RadioItems mark their container role="listbox" and each label
   role="option" around a native checkbox or radio button: a listbox without a name, with an
   interactive control nested in each option. The native inputs are already the accessible
   controls (the page names each list with a role="group" around it), so the wrong roles go.

   Plotly's toolbar buttons are links without an address: no keyboard user can reach them. Each
   toolbar becomes one tab stop (the first button); the arrow keys move between its buttons and
   Enter or Space presses one. */
(function () {
  function repair() {
    document.querySelectorAll('.dash-options-list[role="listbox"]').forEach((el) => el.removeAttribute("role"));
    // React writes aria-selected again when an option's state changes (its role it leaves alone)
    document.querySelectorAll('.dash-options-list-option[role="option"], .dash-options-list-option[aria-selected]')
      .forEach((el) => {
        el.removeAttribute("role");
        el.removeAttribute("aria-selected");
      });
    document.querySelectorAll(".modebar-group").forEach((group) => {
      const bar = group.closest(".modebar");
      if (!bar) return;
      const buttons = () => Array.from(bar.querySelectorAll(".modebar-btn"));
      // Plotly rebuilds a toolbar's buttons inside the same bar when a figure is redrawn: the
      // buttons are repaired each time, the bar's key handler is attached once
      const all = buttons();
      const stop = all.find((b) => b.getAttribute("tabindex") === "0") || all[0];
      all.forEach((b) => {
        if (b.getAttribute("role") === "button" && b.hasAttribute("tabindex")) return;
        b.setAttribute("role", "button");
        b.setAttribute("tabindex", b === stop ? "0" : "-1");
        if (!b.getAttribute("aria-label")) b.setAttribute("aria-label", b.getAttribute("data-title") || "plot tool");
      });
      if (bar.dataset.keyboard) return;
      bar.dataset.keyboard = "1";
      bar.setAttribute("role", "toolbar");
      bar.setAttribute("aria-label", "plot tools");
      bar.addEventListener("keydown", (event) => {
        const all = buttons();
        const at = all.indexOf(document.activeElement);
        if (at < 0) return;
        let next = null;
        if (event.key === "ArrowRight" || event.key === "ArrowDown") next = all[(at + 1) % all.length];
        if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = all[(at - 1 + all.length) % all.length];
        if (next) {
          all[at].setAttribute("tabindex", "-1");
          next.setAttribute("tabindex", "0");
          next.focus();
          event.preventDefault();
        } else if (event.key === "Enter" || event.key === " ") {
          all[at].dispatchEvent(new MouseEvent("click", { bubbles: true }));
          event.preventDefault();
        }
      });
    });
  }
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; repair(); });
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ["role", "aria-selected"] });
})();
