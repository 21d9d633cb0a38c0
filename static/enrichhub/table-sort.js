// Sorting and filtering of a table marked data-sortable: click a header to sort by it (again to
// reverse), type in its search box to keep the rows whose first cell holds the text. Numbers
// written with thousands separators sort as numbers.
(function () {
  "use strict";
  function cellValue(row, index) {
    const text = row.cells[index] ? row.cells[index].textContent.trim() : "";
    const number = Number(text.replace(/,/g, "").replace(/%.*$/, ""));
    return text !== "" && !Number.isNaN(number) ? number : text.toLowerCase();
  }
  function sortBy(table, index, header) {
    const body = table.tBodies[0];
    const descending = header.getAttribute("aria-sort") === "ascending";
    const rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      const x = cellValue(a, index), y = cellValue(b, index);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    Array.from(table.tHead.rows[0].cells).forEach(function (header, index) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      button.textContent = header.textContent;
      header.textContent = "";
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, header); });
    });
    const search = document.getElementById(table.dataset.search);
    if (search) {
      search.addEventListener("input", function () {
        const wanted = search.value.trim().toLowerCase();
        Array.from(table.tBodies[0].rows).forEach(function (row) {
          row.hidden = wanted !== "" && !row.cells[0].textContent.toLowerCase().includes(wanted);
        });
      });
    }
  });
})();
