// Small progressive enhancements; every page works without this file.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]")) el.form.submit();
});
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog-open]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.dialogOpen);
    if (dialog && dialog.showModal) { event.preventDefault(); dialog.showModal(); }
  }
  const closer = event.target.closest("[data-dialog-close]");
  if (closer) { const d = closer.closest("dialog"); if (d) { event.preventDefault(); d.close(); } }
  const confirmer = event.target.closest("button[data-confirm]");
  if (confirmer && confirmer.form) { event.preventDefault(); askFirst(confirmer); }
});
// Destructive buttons (void, disable, remove, revoke…) ask first, in a <dialog> of the page
// that says what will happen (core/confirm.py; without this script the server asks on a
// page of its own). Cancel, Escape or the backdrop leave everything as it was and put focus
// back on the button; the confirming button posts the form with confirmed=yes.
let confirmDialog = null;
function theConfirmDialog() {
  if (confirmDialog) return confirmDialog;
  confirmDialog = document.createElement("dialog");
  confirmDialog.className = "confirm-dialog";
  confirmDialog.setAttribute("aria-labelledby", "confirm-dialog-title");
  confirmDialog.setAttribute("aria-describedby", "confirm-dialog-message");
  confirmDialog.innerHTML = '<h2 id="confirm-dialog-title"></h2><p id="confirm-dialog-message"></p>'
    + '<div class="confirm-actions"><button type="button" class="button secondary" data-confirm-cancel>Cancel</button>'
    + '<button type="button" class="button danger" data-confirm-ok></button></div>';
  document.body.append(confirmDialog);
  confirmDialog.addEventListener("click", (event) => {
    const ok = event.target.closest("[data-confirm-ok]");
    if (event.target === confirmDialog || event.target.closest("[data-confirm-cancel]")) {
      confirmDialog.close(); // a click on the backdrop lands on the dialog itself
    } else if (ok) {
      const opener = confirmDialog.opener;
      let field = opener.form.querySelector("input[name='confirmed']");
      if (!field) {
        field = Object.assign(document.createElement("input"), { type: "hidden", name: "confirmed" });
        opener.form.append(field);
      }
      field.value = "yes";
      confirmDialog.confirmed = true;
      confirmDialog.close();
      opener.form.requestSubmit(opener);
    }
  });
  confirmDialog.addEventListener("close", () => {
    if (!confirmDialog.confirmed && confirmDialog.opener) confirmDialog.opener.focus();
  });
  return confirmDialog;
}
function askFirst(button) {
  const dialog = theConfirmDialog();
  dialog.querySelector("#confirm-dialog-title").textContent = button.dataset.confirmTitle || "Are you sure?";
  dialog.querySelector("#confirm-dialog-message").textContent = button.dataset.confirm;
  dialog.querySelector("[data-confirm-ok]").textContent = button.dataset.confirmLabel || button.textContent.trim();
  dialog.opener = button;
  dialog.confirmed = false;
  dialog.showModal();
  dialog.querySelector("[data-confirm-cancel]").focus(); // the safe choice comes first
}
// A data table wider than a phone scrolls inside the page (app.css); keyboard users can
// only scroll what they can focus, so such a table joins the tab order (WCAG 2.1.1).
function focusableScrollingTables() {
  for (const table of document.querySelectorAll("table.list")) {
    if (table.scrollWidth > table.clientWidth + 1) table.tabIndex = 0;
    else table.removeAttribute("tabindex");
  }
}
document.addEventListener("DOMContentLoaded", focusableScrollingTables);
window.addEventListener("resize", focusableScrollingTables);
