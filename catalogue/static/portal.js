// Each table cell learns its column's name (data-label), which portal.css shows above it when rows stack on a phone.
document.querySelectorAll(".portal-page table").forEach(function (table) {
  var heads = table.querySelectorAll("thead th");
  if (!heads.length) return;
  var names = [];
  heads.forEach(function (th) {
    for (var i = 0; i < (th.colSpan || 1); i++) names.push(th.textContent.trim());
  });
  table.querySelectorAll("tbody tr").forEach(function (row) {
    var column = 0;
    Array.prototype.forEach.call(row.cells, function (cell) {
      if (!cell.hasAttribute("data-label") && (cell.colSpan || 1) === 1) cell.setAttribute("data-label", names[column] || "");
      column += cell.colSpan || 1;
    });
  });
});
// Printing the dashboard prints every table, folded or not.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details.report:not([open])").forEach(function (details) {
    details.setAttribute("open", "");
    details.setAttribute("data-opened-for-print", "");
  });
});
