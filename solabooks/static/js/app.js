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
  const confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.dataset.confirm)) event.preventDefault();
});
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add-line]");
  if (!add) return;
  event.preventDefault();
  const formset = document.querySelector(add.dataset.addLine);
  const total = formset.querySelector("input[name$='-TOTAL_FORMS']");
  const template = formset.querySelector("template");
  const index = parseInt(total.value, 10);
  const html = template.innerHTML.replace(/__prefix__/g, String(index));
  formset.querySelector("tbody").insertAdjacentHTML("beforeend", html);
  total.value = String(index + 1);
});
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
