// Fills the next place list as soon as one is picked. Without JavaScript the
// form's "show" buttons do the same, one step at a time.
(function () {
  var form = document.querySelector("form[data-cascade]");
  if (!form || !window.fetch) return;
  form.querySelectorAll("[data-step]").forEach(function (b) { b.remove(); });
  var district = form.elements.district, area = form.elements.area, locality = form.elements.locality;
  function fill(select, url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) { select.innerHTML = html; });
  }
  district.addEventListener("change", function () {
    locality.innerHTML = locality.options[0].outerHTML;
    fill(area, form.dataset.areas + "?district=" + encodeURIComponent(district.value));
  });
  area.addEventListener("change", function () {
    fill(locality, form.dataset.localities + "?area=" + encodeURIComponent(area.value));
  });
})();
