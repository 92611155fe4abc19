// The "Print" buttons (data-print): a script file, not an onclick attribute,
// so the Content-Security-Policy allows no inline script.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
