// Print buttons: <button type="button" data-print>. A script file, not an inline onclick, so that the pages'
// Content-Security-Policy (script-src 'self', no inline script) can stay as strict as it is.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-print]") : null;
  if (button) {
    event.preventDefault();
    window.print();
  }
});
