"""`{% kept "name" [value ...] %}...{% endkept %}`: a part of a page that is
the same for every visitor in a language (the header, the footer, the link
to the stylesheet), drawn once a minute per process (districts.fragments)
instead of on every page. What it holds may depend on the language, the
settings and the values named after it, nothing else: the CSRF token, the
path and anything of the person's stay outside it."""

from django import template
from django.template.base import Node, NodeList, Parser, Token
from django.template.context import Context

from districts.fragments import drawn

register = template.Library()


class KeptNode(Node):
    def __init__(self, name: str, values: list, nodelist: NodeList) -> None:
        self.name, self.values, self.nodelist = name, values, nodelist

    def render(self, context: Context) -> str:
        key = ("kept", self.name, *(value.resolve(context) for value in self.values))
        return drawn(key, lambda: self.nodelist.render(context))


@register.tag
def kept(parser: Parser, token: Token) -> KeptNode:
    name, *values = token.split_contents()[1:]
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(name.strip("\"'"), [parser.compile_filter(v) for v in values], nodelist)
