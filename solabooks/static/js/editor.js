// The document editor (documents/document_form.html): live totals, Add line, Remove.
// Only an enhancement: without this file the form posts its fixed blank rows and the Remove
// boxes, and the server shows the same totals after each post (documents/editor_totals.py).
// The arithmetic is the server's, exactly: decimals as BigInt (no floating point), each
// line's amount rounded half-up to the currency's minor unit, tax per VAT category and
// rate rounded once per group (documents/lines.py). The saved document is the truth.
(() => {
  const editor = document.querySelector("[data-line-editor]");
  if (!editor) return;
  const PLAIN = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/; // core/numbers.py's grammar
  const minorUnits = {};
  for (const pair of (editor.dataset.minorUnits || "").split(",")) {
    const [code, places] = pair.split(":");
    if (code) minorUnits[code] = parseInt(places, 10);
  }

  // A decimal is {n, s}: the value n / 10**s, n a BigInt.
  function parse(text) {
    text = (text || "").trim();
    if (!PLAIN.test(text)) return null;
    const negative = text.startsWith("-");
    const [whole, frac = ""] = (negative ? text.slice(1) : text).split(".");
    const n = BigInt((whole || "0") + frac);
    return { n: negative ? -n : n, s: frac.length };
  }
  const pow10 = (k) => 10n ** BigInt(k);
  function rescale(a, s) { return { n: a.n * pow10(s - a.s), s }; }
  function add(a, b) {
    const s = Math.max(a.s, b.s);
    return { n: rescale(a, s).n + rescale(b, s).n, s };
  }
  // ROUND_HALF_UP, as core/money.py round_money: halves go away from zero.
  function round(a, places) {
    if (a.s <= places) return rescale(a, places);
    const d = pow10(a.s - places);
    const abs = a.n < 0n ? -a.n : a.n;
    let q = abs / d;
    if ((abs % d) * 2n >= d) q += 1n;
    return { n: a.n < 0n ? -q : q, s: places };
  }
  // As the money filter prints: thousands separators, exactly the minor unit's decimals.
  function format(a) {
    const negative = a.n < 0n;
    let digits = (negative ? -a.n : a.n).toString().padStart(a.s + 1, "0");
    const whole = digits.slice(0, digits.length - a.s).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const frac = a.s ? "." + digits.slice(digits.length - a.s) : "";
    return (negative ? "-" : "") + whole + frac;
  }
  function rateKey(rate) { // Decimal.normalize(): 20.00 and 20 are one group
    let text = rate.n.toString();
    let s = rate.s;
    while (s > 0 && text.endsWith("0")) { text = text.slice(0, -1); s -= 1; }
    return text + "e-" + s;
  }

  function currency() {
    const chosen = editor.dataset.currencyFrom && document.querySelector(editor.dataset.currencyFrom);
    if (chosen && chosen.value) return chosen.value;
    const customer = editor.dataset.customerFrom && document.querySelector(editor.dataset.customerFrom);
    const option = customer && customer.selectedOptions[0];
    if (option && option.dataset.currency) return option.dataset.currency;
    return editor.dataset.currency;
  }
  const field = (row, name) => row.querySelector(`[name$='-${name}']`);
  const rows = () => Array.from(editor.querySelectorAll("tbody [data-line-row]"));

  function recompute() {
    const code = currency();
    const places = code in minorUnits ? minorUnits[code] : 2;
    const zero = { n: 0n, s: places };
    let subtotal = zero;
    const groups = new Map();
    for (const row of rows()) {
      const out = row.querySelector("[data-line-amount]");
      const removed = field(row, "DELETE");
      const quantity = parse(field(row, "quantity").value);
      const price = parse(field(row, "unit_price").value);
      const rate = parse(field(row, "tax_rate").value || "0");
      const product = quantity && price && { n: quantity.n * price.n, s: quantity.s + price.s };
      // As editor_totals.py: a rate outside 0-100 or an amount of 10^15 or more (the save
      // refuses both) counts for nothing.
      const usable = product && rate && rate.n >= 0n && rate.n <= 100n * pow10(rate.s)
        && (product.n < 0n ? -product.n : product.n) < pow10(15 + product.s);
      if ((removed && removed.checked) || !usable) { out.textContent = ""; continue; }
      const amount = round(product, places);
      out.textContent = format(amount);
      subtotal = add(subtotal, amount);
      const category = field(row, "tax_category").value || (rate.n > 0n ? "S" : "Z");
      const key = category + " " + rateKey(rate);
      const group = groups.get(key) || { base: zero, rate };
      group.base = add(group.base, amount);
      groups.set(key, group);
    }
    let tax = zero;
    for (const { base, rate } of groups.values()) { // base × rate / 100, rounded once
      tax = add(tax, round({ n: base.n * rate.n, s: base.s + rate.s + 2 }, places));
    }
    editor.querySelector("[data-total='subtotal']").textContent = format(subtotal);
    editor.querySelector("[data-total='tax']").textContent = format(tax);
    editor.querySelector("[data-total='total']").textContent = format(add(subtotal, tax));
    editor.querySelector("[data-total-currency]").textContent = code;
  }

  function enhance(row) {
    const box = row.querySelector("[data-remove-box]");
    const button = row.querySelector("[data-remove-line]");
    if (box && button) { box.hidden = true; button.hidden = false; }
  }
  function visibleRows() { return rows().filter((row) => !row.hidden); }

  editor.addEventListener("click", (event) => {
    const remove = event.target.closest("[data-remove-line]");
    if (remove) {
      const row = remove.closest("[data-line-row]");
      const shown = visibleRows();
      const at = shown.indexOf(row);
      field(row, "DELETE").checked = true;
      row.hidden = true;
      recompute();
      // Focus goes where the row was: the next line, else the one before, else Add line.
      const next = shown[at + 1] || shown[at - 1];
      (next ? field(next, "description") : editor.querySelector("[data-add-line]")).focus();
      return;
    }
    const addButton = event.target.closest("[data-add-line]");
    if (addButton) {
      event.preventDefault();
      const total = editor.querySelector("input[name$='-TOTAL_FORMS']");
      const index = parseInt(total.value, 10);
      const html = editor.querySelector("template").innerHTML.replace(/__prefix__/g, String(index));
      editor.querySelector("tbody").insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const row = rows().at(-1);
      enhance(row);
      recompute();
      field(row, "description").focus();
    }
  });
  editor.addEventListener("input", recompute);
  editor.addEventListener("change", recompute);
  if (editor.dataset.currencyFrom) { // a new document: its customer or currency choice
    document.addEventListener("change", (event) => {
      if (event.target.matches(`${editor.dataset.currencyFrom}, ${editor.dataset.customerFrom}`)) recompute();
    });
  }

  rows().forEach(enhance);
  const add_ = editor.querySelector("[data-add-line]");
  if (add_) add_.hidden = false;
  for (const hint of editor.querySelectorAll("[data-no-js-hint]")) hint.hidden = true;
  // A row ticked Remove before a post that came back with errors stays out of sight.
  for (const row of rows()) { const removed = field(row, "DELETE"); if (removed && removed.checked) row.hidden = true; }
  recompute();
})();
