// The time-zone choice (business settings): a filter box above the grouped <select>, so
// typing "paris", "pst" or "+05:30" leaves only the matching zones. Without this file the
// select still works (one <optgroup> per region).
(function () {
  function normalize(text) {
    return text.toLowerCase().replace(/[\u2212]/g, "-").replace(/[_/]/g, " ");
  }
  function enhance(select) {
    const input = document.createElement("input");
    input.type = "search";
    input.className = "zone-filter";
    input.id = select.id + "-filter";
    input.placeholder = "Type a city, region or abbreviation";
    input.setAttribute("aria-label", "Filter time zones");
    input.setAttribute("aria-controls", select.id);
    input.autocomplete = "off";
    const status = document.createElement("p");
    status.className = "meta zone-filter-status";
    status.setAttribute("aria-live", "polite");
    select.before(input);
    select.after(status);
    const options = Array.from(select.options).map((option) => ({
      option,
      text: normalize(option.value + " " + option.textContent),
    }));
    // Enter picks the match (focus moves to the list) instead of saving the whole form.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); select.focus(); }
    });
    input.addEventListener("input", () => {
      const words = normalize(input.value).split(/\s+/).filter(Boolean);
      let first = null;
      let shown = 0;
      for (const { option, text } of options) {
        const match = words.every((word) => text.includes(word));
        option.hidden = !match;
        if (match) { shown += 1; if (!first) first = option; }
      }
      for (const group of select.querySelectorAll("optgroup")) {
        group.hidden = !Array.from(group.children).some((option) => !option.hidden);
      }
      // Keep the choice on screen: if the selected zone is filtered out, take the first match.
      if (first && select.selectedOptions[0] && select.selectedOptions[0].hidden) {
        select.value = first.value;
      }
      status.textContent = words.length
        ? (shown ? shown + " matching zone" + (shown === 1 ? "" : "s") + ", chosen: " + select.selectedOptions[0].textContent
                 : "No zone matches; the choice is unchanged.")
        : "";
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("select[data-zone-filter]").forEach(enhance);
  });
})();
