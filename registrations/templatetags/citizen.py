from django import template

register = template.Library()


@register.filter
def indian(value: int) -> str:
    """12345678 -> 1,23,45,678: Indian digit grouping, whatever the language."""
    digits = str(int(value))
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *groups, tail]) if head else ",".join([*groups, tail])
