// Fills the next place list as soon as one is picked. Without JavaScript the
// form's "show" buttons do the same, one step at a time.
// Answers can come back out of order (arrow keys through the blocks send one
// request per block): each list shows only the answer to its latest request,
// and picking a district forgets what was asked for its villages.
(function () {
  var form = document.querySelector("form[data-cascade]");
  if (!form || !window.fetch) return;
  form.querySelectorAll("[data-step]").forEach(function (b) { b.remove(); });
  var district = form.elements.district, area = form.elements.area, locality = form.elements.locality;
  var asked = { area: 0, locality: 0 };
  function reset(select) {
    asked[select.name] += 1;
    select.innerHTML = select.options[0].outerHTML;
  }
  function fill(select, url) {
    var ticket = ++asked[select.name];
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) { if (asked[select.name] === ticket) select.innerHTML = html; });
  }
  district.addEventListener("change", function () {
    reset(locality);
    fill(area, form.dataset.areas + "?district=" + encodeURIComponent(district.value));
  });
  area.addEventListener("change", function () {
    fill(locality, form.dataset.localities + "?area=" + encodeURIComponent(area.value));
  });
})();
