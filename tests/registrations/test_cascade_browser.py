"""The place cascade never shows a stale list: a slower answer for a block
picked earlier cannot overwrite the villages of the block picked since."""

import pytest
from playwright.sync_api import expect

from districts.models import Area

from .test_browser import _sign_in_in_hindi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The script as it was, for the control: it wrote whichever answer came last.
UNGUARDED = """
(function () {
  var form = document.querySelector("form[data-cascade]");
  form.querySelectorAll("[data-step]").forEach(function (b) { b.remove(); });
  var district = form.elements.district, area = form.elements.area;
  var locality = form.elements.locality;
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
"""


def _villages_after_a_slow_first_answer(page, base_url: str, district) -> tuple[set, set]:
    first, second = district.areas.filter(kind=Area.Kind.BLOCK).order_by("pk")[:2]
    held = []

    def hold_the_first_block(route):
        if f"area={first.pk}" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route("**/places/localities/*", hold_the_first_block)
    # Both scripts first remove the no-JavaScript step buttons: until then the
    # page has no listeners, and a choice made meanwhile would go unanswered
    # (the control's script is served through this test's Python, later).
    page.wait_for_selector("form[data-cascade]")
    expect(page.locator("form[data-cascade] [data-step]")).to_have_count(0)
    page.select_option("select[name=district]", str(district.pk))
    page.wait_for_selector(f'select[name=area] option[value="{second.pk}"]', state="attached")
    page.select_option("select[name=area]", str(first.pk))
    page.select_option("select[name=area]", str(second.pk))
    village = second.localities.order_by("pk").first()
    page.wait_for_selector(f'select[name=locality] option[value="{village.pk}"]', state="attached")
    with page.expect_response(lambda r: f"area={first.pk}" in r.url):
        held[0].continue_()
    page.wait_for_timeout(300)  # the late answer's handler runs
    shown = set(
        page.eval_on_selector_all("select[name=locality] option", "os => os.map(o => o.value)")
    )
    wanted = {str(pk) for pk in second.localities.values_list("pk", flat=True)}
    return shown - {""}, wanted


def test_a_slow_answer_for_an_earlier_block_does_not_replace_the_villages(
    live_server, phone, geography, raipur
):
    _sign_in_in_hindi(phone, live_server.url, "9876507777")
    shown, wanted = _villages_after_a_slow_first_answer(phone, live_server.url, raipur)
    assert shown == wanted


def test_control_the_old_script_showed_the_earlier_blocks_villages(
    live_server, phone, geography, raipur
):
    phone.route(
        "**/static/registrations/cascade.js",
        lambda route: route.fulfill(body=UNGUARDED, content_type="text/javascript"),
    )
    _sign_in_in_hindi(phone, live_server.url, "9876508888")
    shown, wanted = _villages_after_a_slow_first_answer(phone, live_server.url, raipur)
    assert shown != wanted
