"""Before closing, the customer is reminded of each bound service to unbind, with the brand's link where its
policy has one (CN 二次号 practice), in every locale."""

from __future__ import annotations

from simexit.domain.eligibility import evaluate
from simexit.domain.facts import BoundService
from simexit.domain.quote import compute_quote
from simexit.web import i18n
from simexit.web.rendering import env
from tests.unit.test_rules import NOW, P, facts


def _finding():
    p = P["liuliang"]
    f = facts(services=(BoundService("微信 WeChat", None), BoundService("Some Bank", None)))
    q = compute_quote(f, p, NOW, p.calendar())
    return next(x for x in evaluate(f, p, q, NOW) if x.code == "SERVICES_BOUND")


def test_each_bound_service_has_its_unbind_link_where_the_policy_has_one():
    found = _finding()
    assert [(s["service"], s["unbind_url"]) for s in found.data["services"]] == \
        [("微信 WeChat", "https://weixin.qq.com/"), ("Some Bank", None)]
    for locale, text in (("en", "Unbind this number at 微信 WeChat"), ("zh-CN", "前往微信 WeChat解除本号码绑定"),
                         ("de", "Nummer bei 微信 WeChat abmelden")):
        token = i18n.current_locale.set(locale)
        try:
            html = env.get_template("portal/_unbind.html").render(f=found)
        finally:
            i18n.current_locale.reset(token)
        assert f'<a href="https://weixin.qq.com/" rel="noopener noreferrer">{text}</a>' in html
        assert "<li>Some Bank</li>" in html
