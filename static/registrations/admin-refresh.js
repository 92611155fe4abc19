// Choosing a district or block reloads the form with narrower choices (no data is lost).
document.querySelectorAll('select[name=district], select[name=area]').forEach(function (select) {
  select.addEventListener('change', function () {
    var form = select.form, flag = document.createElement('input');
    flag.type = 'hidden'; flag.name = '_refresh'; flag.value = '1';
    form.appendChild(flag); form.submit();
  });
});
