// The export page's "Select all" box (django-import-export's own handler,
// bound here instead of an onchange attribute the Content-Security-Policy refuses).
document.addEventListener("change", function (event) {
  if (event.target.matches(".select-toggle") && typeof onSelectToggleChange === "function") {
    onSelectToggleChange(event);
  }
});
